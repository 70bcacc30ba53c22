"""Provider webhooks: signature first, then hand each event to a service. Only these views skip CSRF.

A bad or missing signature is a 403 that changes nothing. Everything signed gets a 200 (unknown ids are
logged), so providers do not retry what we deliberately ignored; that includes items of any unexpected shape,
which are logged by position and skipped one by one. Only a body that is not JSON (or form data) at all is a 400.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from twilio.request_validator import RequestValidator

from .channels.meta_whatsapp import META_ERRORS, MetaWhatsAppChannel
from .channels.twilio import TWILIO_ERRORS, UNREACHABLE, TwilioSMSChannel, TwilioWhatsAppChannel
from .models import InboundMessage, MessageStatus
from .selectors import unreachable_before
from .services import (
    inbound_record,
    message_status_apply,
    meta_template_category_update,
    meta_template_quality_update,
    meta_template_status_update,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

META_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}
TWILIO_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}


def meta_signature_valid(raw_body: bytes, header: str) -> bool:
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :])


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        token = settings.WHATSAPP_VERIFY_TOKEN
        given = request.GET.get("hub.verify_token", "")
        if request.GET.get("hub.mode") == "subscribe" and token and hmac.compare_digest(given, token):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    if not meta_signature_valid(request.body, request.headers.get("X-Hub-Signature-256", "")):
        log.warning("whatsapp webhook refused: bad or missing signature")
        return HttpResponseForbidden()
    try:
        payload = json.loads(request.body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than the parser goes
        log.warning("whatsapp webhook: unreadable JSON (%d bytes)", len(request.body))
        return HttpResponse(status=400)
    for where, kind, item in _meta_items(payload):
        _apply_one("whatsapp", where, partial(META_HANDLERS[kind], item))
    return HttpResponse("ok")


# What an item that cannot be read raises, from our readers or from the database refusing its values. An
# outage (OperationalError) is not among them: that still answers 500, so the provider retries the batch later.
UNREADABLE = (TypeError, ValueError, LookupError, AttributeError, ValidationError, DataError, IntegrityError)


def _apply_one(provider: str, where: str, apply: Callable[[], T]) -> T | None:
    """Apply one item in its own savepoint; an unreadable one is logged by position and type only (its values
    may hold phone numbers or message text) and skipped, so the rest of the batch still counts."""
    try:
        with transaction.atomic():
            return apply()
    except UNREADABLE as exc:
        log.warning("%s webhook: skipped %s (%s)", provider, where, type(exc).__name__)
        return None


def _objects(value: object, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of a JSON list with their positions; a missing list is empty, anything else is logged."""
    if value is None:
        return
    if not isinstance(value, list):
        log.warning("whatsapp webhook: skipped %s (a list was expected, not %s)", where, type(value).__name__)
        return
    for index, item in enumerate(value):
        if isinstance(item, dict):
            yield f"{where}[{index}]", item
        else:
            log.warning(
                "whatsapp webhook: skipped %s[%d] (an object was expected, not %s)", where, index, type(item).__name__
            )


def _meta_items(payload: object) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(position, kind, object) for each status, inbound message and template update, in the payload's order.

    Meta batches many items in one POST and retries the whole POST unless it gets a 200: an item of an unexpected
    shape must neither stop the items after it nor make Meta send the batch again. Only shapes are checked here;
    each item's own fields are read (and may still be refused) by its handler.
    """
    if not isinstance(payload, dict):
        log.warning("whatsapp webhook: skipped the payload (an object was expected, not %s)", type(payload).__name__)
        return
    for entry_at, entry in _objects(payload.get("entry"), "entry"):
        for change_at, change in _objects(entry.get("changes"), f"{entry_at}.changes"):
            field, value = change.get("field"), change.get("value")
            if not isinstance(value, dict):
                log.warning("whatsapp webhook: skipped %s (its value is %s)", change_at, type(value).__name__)
            elif field == "message_template_status_update":
                yield change_at, "template", value
            elif field == "template_category_update":
                yield change_at, "template_category", value
            elif field == "message_template_quality_update":
                yield change_at, "template_quality", value
            elif field == "messages":
                yield from (
                    (at, "status", item) for at, item in _objects(value.get("statuses"), f"{change_at}.statuses")
                )
                yield from (
                    (at, "inbound", item) for at, item in _objects(value.get("messages"), f"{change_at}.messages")
                )


def _text(value: object) -> str:
    """A string field as text; numbers are accepted as their digits, anything else reads as absent."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return str(value)


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _template_key(value: dict[str, Any]) -> dict[str, str]:
    """Which template a template webhook is about, as the template services name it."""
    return {
        "name": _text(value.get("message_template_name")),
        "language_code": _text(value.get("message_template_language")),
    }


def _meta_template(value: dict[str, Any]) -> None:
    meta_template_status_update(
        **_template_key(value),
        status=_text(value.get("event")),
        reason=_text(value.get("reason")),
        meta_template_id=_text(value.get("message_template_id")),
    )


def _meta_template_category(value: dict[str, Any]) -> None:
    meta_template_category_update(
        **_template_key(value),
        new_category=_text(value.get("new_category")),
        previous_category=_text(value.get("previous_category")),
    )


def _meta_template_quality(value: dict[str, Any]) -> None:
    meta_template_quality_update(**_template_key(value), quality=_text(value.get("new_quality_score")))


def _meta_status(status: dict[str, Any]) -> None:
    ours = META_STATUSES.get(_text(status.get("status")))
    if ours is None:
        return
    errors = status.get("errors")
    error = next((e for e in errors if isinstance(e, dict)), {}) if isinstance(errors, list) else {}
    code = error.get("code")
    message_status_apply(
        provider_message_id=_text(status.get("id")),
        message_id=_int_or_none(_text(status.get("biz_opaque_callback_data"))),
        status=ours,
        error_code=_text(code),
        error_message=_text(error.get("title")) or _text(error.get("message")),
        error_action=META_ERRORS.action(_int_or_none(_text(code))) if ours == MessageStatus.FAILED else "",
    )


def _meta_inbound(inbound: dict[str, Any]) -> None:
    # A template's quick-reply button arrives as `button` {payload, text}; a session message's reply button
    # (or list row) as `interactive` {button_reply|list_reply: {id, title}}.
    button = _object(inbound.get("button"))
    interactive = _object(inbound.get("interactive"))
    choice = _object(interactive.get("button_reply")) or _object(interactive.get("list_reply"))
    body = _text(_object(inbound.get("text")).get("body")) or _text(button.get("text")) or _text(choice.get("title"))
    inbound_record(
        channel=MetaWhatsAppChannel.key,
        from_address=_text(inbound.get("from")),
        body=body,
        provider_message_id=_text(inbound.get("id")),
        context_provider_id=_text(_object(inbound.get("context")).get("id")),
        payload=_text(button.get("payload")) or _text(choice.get("id")),
    )


META_HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "template": _meta_template,
    "template_category": _meta_template_category,
    "template_quality": _meta_template_quality,
    "status": _meta_status,
    "inbound": _meta_inbound,
}


def twilio_signed_urls(request: HttpRequest) -> list[str]:
    """The URLs Twilio may have signed: the public one we gave it, and this request's own.

    Forwarded headers are believed only when MESSAGING_WEBHOOK_TRUST_FORWARDED says a proxy we trust sets them.
    """
    path = request.get_full_path()
    urls = (
        [settings.TWILIO_STATUS_CALLBACK_BASE_URL.rstrip("/") + path]
        if settings.TWILIO_STATUS_CALLBACK_BASE_URL
        else []
    )
    if settings.MESSAGING_WEBHOOK_TRUST_FORWARDED and request.headers.get("X-Forwarded-Host"):
        proto = request.headers.get("X-Forwarded-Proto", request.scheme or "").split(",")[0].strip()
        host = request.headers["X-Forwarded-Host"].split(",")[0].strip()
        urls.append(f"{proto}://{host}{path}")
    else:
        urls.append(request.build_absolute_uri(path))
    return list(dict.fromkeys(urls))


@csrf_exempt
@require_http_methods(["POST"])
def twilio_webhook(request: HttpRequest) -> HttpResponse:
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.TWILIO_AUTH_TOKEN
    params = request.POST.dict()  # a form Django cannot parse is already a 400 (MultiPartParserError)
    validator = RequestValidator(token)
    if not (token and signature and any(validator.validate(u, params, signature) for u in twilio_signed_urls(request))):
        log.warning("twilio webhook refused: bad or missing signature")
        return HttpResponseForbidden()
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = params.get("MessageStatus") or ""
    if status and status != "received":
        _apply_one(
            "twilio", f"status sid={sid[:64]}", lambda: _twilio_status(params, sid, status, request.GET.get("message"))
        )
    elif "Body" in params:
        inbound = _apply_one("twilio", f"inbound sid={sid[:64]}", lambda: _twilio_inbound(params, sid))
        if inbound is not None and inbound.auto_reply:
            # TwiML: Twilio sends this text back to the sender, no API call of ours needed.
            return HttpResponse(
                f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(inbound.auto_reply)}</Message>'
                "</Response>",
                content_type="text/xml",
            )
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")


def _twilio_status(params: dict[str, str], sid: str, status: str, message_param: str | None) -> None:
    ours = TWILIO_STATUSES.get(status)
    if ours is None:
        return
    code = _int_or_none(params.get("ErrorCode"))
    message_id = _int_or_none(message_param)
    # 30003 gets one more try: count an earlier 30003 to the same address as the try already spent.
    retry_count = int(code == UNREACHABLE and unreachable_before(sid=sid, message_id=message_id))
    message_status_apply(
        provider_message_id=sid,
        message_id=message_id,
        status=ours,
        error_code=str(code or ""),
        error_message=f"Twilio error {code}" if code else "",
        error_action=TWILIO_ERRORS.action(code, retry_count=retry_count) if code else "",
    )


def _twilio_inbound(params: dict[str, str], sid: str) -> InboundMessage | None:
    sender = params.get("From", "")
    return inbound_record(
        channel=TwilioWhatsAppChannel.key if sender.startswith("whatsapp:") else TwilioSMSChannel.key,
        from_address=sender,
        body=params.get("Body", ""),
        provider_message_id=sid,
        context_provider_id=params.get("OriginalRepliedMessageSid", ""),
        payload=params.get("ButtonPayload", ""),
    )
