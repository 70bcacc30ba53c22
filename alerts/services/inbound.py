"""Messages people send us (WhatsApp or SMS), once messaging has recorded them.

A text that is a badge's short code is a finder's report: it raises (or joins) the alarm and the finder is
answered in their language. A finder's other texts go to the family (alerts.services.relay). Anything else is read as a reply to an alarm message (alerts.services.replies: matched
to its alarm, understood by its intent, answered).
messaging calls `inbound_handle` through the one handler registered in `messaging.inbound` (home.apps
registers it, adding the scan page's emergency number, which only the public site knows).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from messaging.formatting import address_hash
from messaging.models import InboundMessage
from registry.models import QRCode

from ..models import AlarmSource
from .finder_state import FinderStep, finder_state
from .relay import finder_thread_for, relay_text_from_finder
from .replies import reply_handle, reply_match
from .reports import Report, ReportLimited, inactive_scan_record, report_submit, sms_language, sms_report_parse

log = logging.getLogger(__name__)

# The answers to a texted short code, in the sender's language (reports.sms_language).
SMS_REPLIES = {
    "ok": gettext_lazy(
        "Keryu: thank you. The family is being contacted now. Stay with the person if you can. "
        "Emergency: %(emergency)s."
    ),
    "unknown": gettext_lazy(
        "Keryu: we could not find the code %(code)s. Check the 8 characters printed on the badge and send them "
        "again. Emergency: %(emergency)s."
    ),
    "busy": gettext_lazy(
        "Keryu: we already have your reports and the family is being contacted. Emergency: %(emergency)s."
    ),
    # What finder_state says of the report, when it is not "being contacted".
    "known": gettext_lazy(
        "Keryu: thank you. The family already knows and is being told of your report. Emergency: %(emergency)s."
    ),
    "unreached": gettext_lazy(
        "Keryu: thank you. We could not reach the family yet: Keryu's team has been alerted. If anyone is in "
        "danger, call %(emergency)s."
    ),
}
# The answer to a report, by its finder_state.
STATE_REPLIES = {FinderStep.ALREADY_KNOWN: "known", FinderStep.UNREACHED: "unreached"}


def inbound_handle(*, message: InboundMessage, emergency_number: str = "911") -> str | None:
    """What `message` means, and the text to answer its sender with (None: nothing to answer)."""
    body = message.body or ""
    if sms_report_parse(body) is not None:
        # A finder's report, never an acknowledgement, even when the sender was also sent an alarm message.
        if not message.from_address:
            return None
        return sms_report(from_address=message.from_address, body=body, emergency_number=emergency_number)
    if reply_match(message=message) is None and (thread := finder_thread_for(message=message)) is not None:
        # A finder answering the family (alerts.services.relay): never read for an intent, they are no recipient.
        return relay_text_from_finder(message=message, thread=thread)
    return reply_handle(message=message, emergency_number=emergency_number)


def sms_reply(kind: str, *, language: str, code: str, emergency_number: str) -> str:
    with translation.override(language):
        return str(SMS_REPLIES[kind]) % {"code": code, "emergency": emergency_number}


def sms_report(*, from_address: str, body: str, emergency_number: str = "911") -> str | None:
    """A finder without data texts a badge's short code: raise the alarm (or join the open one) through the
    same path as a scan, and return the text to answer them with. None: the text is not a short code."""
    parsed = sms_report_parse(body)
    if parsed is None:
        return None
    sender = from_address.removeprefix("whatsapp:")
    language = sms_language(word_language=parsed.language, sender=sender)
    reply = {"language": language, "code": parsed.code, "emergency_number": emergency_number}
    qr_code = QRCode.objects.select_related("subject").filter(short_code=parsed.code).first()
    if qr_code is None or not (qr_code.is_active and qr_code.subject.is_active):
        if qr_code is not None:
            inactive_scan_record(qr_code=qr_code, source=AlarmSource.SMS)
        log.info("sms report: no active code (sender key %s)", address_hash(sender)[-4:])
        return sms_reply("unknown", **reply)
    report = Report(
        situation_type=parsed.situation,
        description=body.strip()[:1000],
        finder_phone=sender[:32],
        source=AlarmSource.SMS,
    )
    try:
        outcome = report_submit(
            qr_code=qr_code,
            report=report,
            repeat_limits=[(f"sms-report:{address_hash(sender)}", settings.KERYU_SMS_REPORT_RATE)],
        )
    except ReportLimited:
        return sms_reply("busy", **reply)
    log.info("sms report alarm id=%s joined=%s situation=%s", outcome.alarm.pk, outcome.joined, parsed.situation)
    state = finder_state(alarm=outcome.alarm, scan_event=outcome.event)
    return sms_reply(STATE_REPLIES.get(state.state, "ok"), **reply)
