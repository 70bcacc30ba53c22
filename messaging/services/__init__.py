"""Writes for messaging. Other apps use: channel_next, template_render, message_compose, message_send,
message_send_first, inbound_link, address_flag_wrong_number (and the signals).

Split by concern: templates (render, defaults, Meta approval), messages (compose, send, record failures),
provider_events (webhook statuses and inbound replies), flags (addresses whose holder said "wrong number"),
channels (order, test sends), channel_choice (the next channel for a recipient), retention (redacting quoted
personal details, purging addresses past the scanner-data retention).
"""

from ..models import template_variables
from .channel_choice import channel_next
from .channels import TestSendOutcome, channel_order_set, channel_settings_ensure, channel_test_send
from .flags import address_flag_wrong_number
from .messages import message_compose, message_create, message_send
from .provider_events import inbound_answer_send, inbound_link, inbound_record, message_status_apply
from .reach import Reached, message_send_first
from .retention import messages_addresses_purge, messages_redact, text_redact
from .templates import (
    RenderedText,
    meta_template_category_update,
    meta_template_quality_update,
    meta_template_status_update,
    template_defaults_ensure,
    template_find,
    template_render,
)

__all__ = [
    "Reached",
    "RenderedText",
    "TestSendOutcome",
    "address_flag_wrong_number",
    "channel_next",
    "channel_order_set",
    "channel_settings_ensure",
    "channel_test_send",
    "inbound_answer_send",
    "inbound_link",
    "inbound_record",
    "message_compose",
    "message_create",
    "message_send",
    "message_send_first",
    "message_status_apply",
    "messages_addresses_purge",
    "messages_redact",
    "meta_template_category_update",
    "meta_template_quality_update",
    "meta_template_status_update",
    "template_defaults_ensure",
    "template_find",
    "template_render",
    "template_variables",
    "text_redact",
]
