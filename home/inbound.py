"""The public front door also answers text messages: a finder without data texts a badge's short code.

alerts says what an inbound message means and what to answer (alerts.services.inbound_handle); home adds the
emergency number editors keep on the scan page, which the answers quote. home registers this with messaging
(home.apps) because only home knows both.
"""

from __future__ import annotations

from alerts.services import inbound_handle
from messaging.models import InboundMessage

from .models import ScanPage


def inbound_answer(message: InboundMessage) -> str | None:
    return inbound_handle(message=message, emergency_number=emergency_number())


def emergency_number() -> str:
    """The number editors set on the scan page; 911 if there is no live page."""
    page = ScanPage.objects.live().only("emergency_number").first()
    return getattr(page, "emergency_number", "") or "911"
