"""Receivers for messaging's signals: delivery news and inbound messages flow up into alerts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from messaging.defaults import WHATSAPP_TEMPLATES
from messaging.models import InboundMessage, Message, MessageStatus

from .services import attempt_status_from_message
from .services.delivery import message_being_delivered
from .services.drills import reachability_answered, reachability_status
from .services.staff import staff_alert


def on_message_status_changed(sender: object, message: Message, status: str, **kwargs: Any) -> None:
    if status == MessageStatus.SENT and message_being_delivered(message.pk):
        # The send of an attempt's own message, answered: _attempt_sent records it in its next statement (the
        # same move to SENT and roll-up), and a drill's reachability check never sends an attempt's message.
        return
    attempt_status_from_message(message_id=message.pk, status=status)
    reachability_status(message=message, status=status)


def on_inbound_message_received(sender: object, inbound: InboundMessage, **kwargs: Any) -> None:
    """Whoever writes to us can be reached there: their drill flags on that channel clear."""
    reachability_answered(channel=inbound.channel, address_hash=inbound.address_hash)


def on_meta_template_changed(
    sender: object, name: str, language_code: str, change: str, detail: str, **kwargs: Any
) -> None:
    """Meta paused, rejected or recategorised a template Keryu sends: messaging skips it until approved again
    (the next channel takes over); staff are told so they can fix and resubmit it (`templates_submit`)."""
    kinds = sorted(kind for kind, (template, _language) in WHATSAPP_TEMPLATES.items() if template == name)
    if not kinds:
        return
    with translation.override(settings.LANGUAGE_CODE):  # staff read the site's language
        facts = {"name": name, "language": language_code, "change": change}
        subject = _("Keryu: WhatsApp template %(name)s (%(language)s) is %(change)s") % facts
        body = _(
            "Meta reports the template %(name)s (%(language)s) as %(change)s (%(detail)s). It is used for: "
            "%(kinds)s. Until Meta approves it again those messages skip WhatsApp's template and go on the next "
            "channel. Fix the text if needed and resubmit it (manage.py templates_submit or the /ops/ action)."
        ) % {**facts, "detail": detail or _("no reason given"), "kinds": ", ".join(kinds)}
    staff_alert(subject=subject, body=body)
