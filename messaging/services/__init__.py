"""Writes for messaging. Other apps use: channel_next, template_render, message_compose, message_send (and
the signals).

Split by concern: templates (render, defaults, Meta approval), messages (compose, send, record failures),
provider_events (webhook statuses and inbound replies), channels (order, test sends), channel_choice (the
next channel for a recipient), retention (redacting quoted personal details, purging addresses past the
scanner-data retention).
"""

from ..models import template_variables
from .channel_choice import channel_next
from .channels import TestSendOutcome, channel_order_set, channel_settings_ensure, channel_test_send
from .messages import message_compose, message_create, message_send
from .provider_events import inbound_record, message_status_apply
from .retention import messages_addresses_purge, messages_redact, text_redact
from .templates import (
    RenderedText,
    meta_template_status_update,
    template_defaults_ensure,
    template_find,
    template_render,
)

__all__ = [
    "RenderedText",
    "TestSendOutcome",
    "channel_next",
    "channel_order_set",
    "channel_settings_ensure",
    "channel_test_send",
    "inbound_record",
    "message_compose",
    "message_create",
    "message_send",
    "message_status_apply",
    "messages_addresses_purge",
    "messages_redact",
    "meta_template_status_update",
    "template_defaults_ensure",
    "template_find",
    "template_render",
    "template_variables",
    "text_redact",
]
