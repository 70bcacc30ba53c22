"""Email through Django's mail API: subject, text and HTML bodies, one message per address."""

from __future__ import annotations

import logging
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from .base import Channel, ChannelError, ErrorAction, OutboundMessage, SendResult

log = logging.getLogger(__name__)


class EmailChannel(Channel):
    key = "email"
    label = "Email"

    def is_configured(self) -> bool:
        return bool(settings.DEFAULT_FROM_EMAIL) and not settings.EMAIL_BACKEND.endswith("dummy.EmailBackend")

    def send(self, message: OutboundMessage) -> SendResult:
        if "@" not in message.to:
            raise ChannelError("no email address", permanent=True, code="no_address")
        message_id = make_msgid(domain="keryu")
        html = message.html or render_to_string(
            "messaging/email/message.html", {"subject": message.subject, "paragraphs": message.body.split("\n\n")}
        )
        email = EmailMultiAlternatives(
            subject=message.subject or "Keryu",
            body=message.body,
            to=[message.to],
            headers={"Message-ID": message_id},
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        email.attach_alternative(html, "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused:
            raise ChannelError("recipient refused", permanent=True, code="recipient_refused") from None
        except smtplib.SMTPAuthenticationError:
            raise ChannelError(
                "SMTP authentication failed", permanent=True, action=ErrorAction.STOP, code="auth"
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP unavailable: {type(exc).__name__}", permanent=False, code="smtp") from None
        log.info("email sent id=%s", message.message_id)
        return SendResult(provider_message_id=message_id.strip("<>"))
