"""The public front door also answers text messages: a finder without data texts a badge's short code."""

from __future__ import annotations

from alerts.services.reports import sms_report, sms_report_parse


def on_inbound_message_received(sender, inbound=None, in_reply_to=None, **kwargs) -> str | None:
    """Raise (or join) the alarm for a texted short code; the returned text is the SMS answer to the finder."""
    body = str(getattr(inbound, "body", "") or "")
    from_address = str(getattr(inbound, "from_address", "") or "")
    if not from_address or sms_report_parse(body) is None:
        return None
    return sms_report(from_address=from_address, body=body, emergency_number=emergency_number())


def emergency_number() -> str:
    """The number editors set on the scan page; 911 if there is no live page."""
    from .models import ScanPage

    page = ScanPage.objects.live().only("emergency_number").first()
    return getattr(page, "emergency_number", "") or "911"
