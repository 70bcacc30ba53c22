"""Security events from Django's login signal and core.scoping's refused-access signal."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from core.clientip import client_ip
from core.scoping import object_access_refused
from messaging.models import Message, MessageStatus
from messaging.signals import message_status_changed

from .backends import ip_failure_add
from .models import SecurityEvent


def _ip(request) -> str | None:
    return None if request is None else client_ip(request)


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from .services import security_event_record

    ip = _ip(request)
    if ip:
        ip_failure_add(ip)
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        username=str(credentials.get("username", "")),
        ip_address=ip,
        path=getattr(request, "path", ""),
    )


@receiver(user_logged_in, dispatch_uid="accounts.logged_in")
def on_logged_in(sender, request, user, **kwargs) -> None:
    """Django already cycles the session key at login; start the idle clock afresh."""
    if request is not None and hasattr(request, "session"):
        request.session.pop("_keryu_last_seen", None)


@receiver(object_access_refused, dispatch_uid="accounts.access_refused")
def on_access_refused(sender, request, **kwargs) -> None:
    from .services import security_event_record

    user = getattr(request, "user", None)
    security_event_record(
        kind=SecurityEvent.Kind.ACCESS_REFUSED,
        user=user if getattr(user, "is_authenticated", False) else None,
        ip_address=_ip(request),
        path=request.path,
    )


@receiver(message_status_changed, dispatch_uid="accounts.verification_whatsapp_failed")
def on_message_status_changed(sender, message: Message, status: str, **kwargs) -> None:
    """A WhatsApp verification code that failed by webhook goes again by SMS, at once (verification.py)."""
    if status not in (MessageStatus.FAILED, MessageStatus.UNDELIVERED) or message.kind != "VERIFICATION_CODE":
        return
    from .verification import phone_code_whatsapp_failed

    phone_code_whatsapp_failed(message=message)
