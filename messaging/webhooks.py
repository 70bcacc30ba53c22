"""Provider webhooks: signature first, then hand each event to a service. Only these views skip CSRF.

A bad or missing signature is a 403 that changes nothing. Everything signed gets a 200 (unknown ids are
logged), so providers do not retry what we deliberately ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from twilio.request_validator import RequestValidator

from .channels.meta_whatsapp import meta_error_action
from .channels.twilio import UNREACHABLE, twilio_error_action
from .models import Channel, MessageStatus
from .selectors import unreachable_before
from .services import inbound_record, message_status_apply, meta_template_status_update

log = logging.getLogger(__name__)

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
    except ValueError:
        return HttpResponse(status=400)
    for entry in payload.get("entry", []) or []:
        for change in entry.get("changes", []) or []:
            _meta_change(change.get("field", ""), change.get("value") or {})
    return HttpResponse("ok")


def _meta_change(field: str, value: dict) -> None:
    if field == "message_template_status_update":
        meta_template_status_update(
            name=str(value.get("message_template_name", "")),
            language_code=str(value.get("message_template_language", "")),
            status=str(value.get("event", "")),
            reason=str(value.get("reason") or ""),
            meta_template_id=str(value.get("message_template_id", "")),
        )
        return
    if field != "messages":
        return
    for status in value.get("statuses", []) or []:
        ours = META_STATUSES.get(status.get("status"))
        if ours is None:
            continue
        errors = status.get("errors") or [{}]
        code = errors[0].get("code")
        message_status_apply(
            provider_message_id=str(status.get("id", "")),
            message_id=_int_or_none(status.get("biz_opaque_callback_data")),
            status=ours,
            error_code=str(code or ""),
            error_message=str(errors[0].get("title") or errors[0].get("message") or ""),
            error_action=meta_error_action(code) if ours == MessageStatus.FAILED else "",
        )
    for inbound in value.get("messages", []) or []:
        body = (inbound.get("text") or {}).get("body") or (inbound.get("button") or {}).get("text") or ""
        inbound_record(
            channel=Channel.META_WHATSAPP,
            from_address=str(inbound.get("from", "")),
            body=str(body),
            provider_message_id=str(inbound.get("id", "")),
            context_provider_id=str((inbound.get("context") or {}).get("id", "")),
        )


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
        proto = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
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
    params = request.POST.dict()
    validator = RequestValidator(token)
    if not (token and signature and any(validator.validate(u, params, signature) for u in twilio_signed_urls(request))):
        log.warning("twilio webhook refused: bad or missing signature")
        return HttpResponseForbidden()
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = params.get("MessageStatus") or ""
    if status and status != "received":
        ours = TWILIO_STATUSES.get(status)
        if ours is not None:
            code = _int_or_none(params.get("ErrorCode"))
            message_id = _int_or_none(request.GET.get("message"))
            # 30003 gets one more try: count an earlier 30003 to the same address as the try already spent.
            retry_count = int(code == UNREACHABLE and unreachable_before(sid=sid, message_id=message_id))
            message_status_apply(
                provider_message_id=sid,
                message_id=message_id,
                status=ours,
                error_code=str(code or ""),
                error_message=f"Twilio error {code}" if code else "",
                error_action=twilio_error_action(code, retry_count=retry_count) if code else "",
            )
    elif "Body" in params:
        sender = params.get("From", "")
        inbound = inbound_record(
            channel=Channel.TWILIO_WHATSAPP if sender.startswith("whatsapp:") else Channel.TWILIO_SMS,
            from_address=sender,
            body=params.get("Body", ""),
            provider_message_id=sid,
            context_provider_id=params.get("OriginalRepliedMessageSid", ""),
        )
        if inbound is not None and inbound.auto_reply:
            # TwiML: Twilio sends this text back to the sender, no API call of ours needed.
            return HttpResponse(
                f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(inbound.auto_reply)}</Message>'
                "</Response>",
                content_type="text/xml",
            )
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")
