"""Email through Django's mail API: subject, text and HTML bodies, one message per address."""

from __future__ import annotations

import logging
import smtplib
from email.utils import make_msgid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from .base import AddressKind, Channel, ChannelError, ErrorAction, Family, OutboundMessage, SendResult

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)


class EmailChannel(Channel):
    key = "email"
    label = gettext_lazy("Email")
    family = Family.EMAIL
    reports_delivery = False
    address_kind = AddressKind.EMAIL

    def is_configured(self) -> bool:
        return bool(settings.DEFAULT_FROM_EMAIL) and not settings.EMAIL_BACKEND.endswith("dummy.EmailBackend")

    def send(self, message: OutboundMessage) -> SendResult:
        if "@" not in message.to:
            raise ChannelError("no email address", permanent=True, code="no_address")
        message_id = make_msgid(domain="keryu")
        html = message.html or render_to_string(
            "messaging/email/message.html",
            {"subject": message.subject, "paragraphs": message.body.split("\n\n"), "language": message.language},
        )
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        email = EmailMultiAlternatives(
            subject=message.subject or "Keryu",
            body=message.body,
            to=[message.to],
            headers={"Message-ID": message_id},
            connection=connection,
        )
        email.attach_alternative(html, "text/html")
        try:
            # Greeting, TLS and login first, on their own: a failure there is a certain non-send.
            connection.open()
        except smtplib.SMTPAuthenticationError:
            raise ChannelError(
                "SMTP authentication failed", permanent=True, action=ErrorAction.STOP, code="auth"
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP unavailable: {type(exc).__name__}", permanent=False, code="smtp") from None
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused:
            raise ChannelError("recipient refused", permanent=True, code="recipient_refused") from None
        except smtplib.SMTPResponseException as exc:
            # The server answered with a refusal (sender, data): it did not take the message.
            raise ChannelError(f"SMTP refused: {exc.smtp_code}", permanent=False, code="smtp") from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            # The connection died mid-transaction, possibly after the data went out and before the server's
            # "250 queued" came back: the message may be on its way.
            raise ChannelError(
                f"SMTP connection lost mid-send: {type(exc).__name__}; it may have been accepted",
                permanent=True,
                action=ErrorAction.UNCERTAIN,
                code="smtp_lost",
            ) from None
        finally:
            _close_quietly(connection)
        log.info("email sent id=%s", message.message_id)
        return SendResult(provider_message_id=message_id.strip("<>"))


def _close_quietly(connection: BaseEmailBackend) -> None:
    """QUIT after the message is out (or lost): its failure changes nothing about the send."""
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        pass
