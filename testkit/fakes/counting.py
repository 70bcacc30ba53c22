"""The fake providers counting what they were asked: every request with the id of our Message it carried and the
HTTP status it got (what the spread drill's check reads). Importable before Django is configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from .base import RecordedRequest, Reply, later, post
from .meta import FakeMeta
from .twilio import FakeTwilio


def _int(value: str | int | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass
class CountingMeta(FakeMeta):
    """FakeMeta that records (our message id, HTTP status) per request and posts one "delivered" receipt per
    accepted message, to the web processes in turn (a receipt is what settles a send a killed worker left
    uncertain)."""

    answered: list[tuple[int | None, int]] = field(default_factory=list)
    webhook_urls: list[str] = field(default_factory=list)

    def handle(self, request: RecordedRequest) -> Reply:
        reply = super().handle(request)
        try:
            opaque = request.json.get("biz_opaque_callback_data")
        except ValueError:
            opaque = None
        self.answered.append((_int(opaque), reply.status))
        return reply

    def _status_sequence(self) -> list[str]:
        return ["delivered"]

    def _status_out(self, wamid: str, status: str, to: str, opaque, **kwargs) -> None:
        if not self.webhook_urls:
            return
        payload = self.status_payload(wamid, status, to=to, biz_opaque=opaque, **kwargs)
        url = self.webhook_urls[len(self.answered) % len(self.webhook_urls)]
        later(post, url, *self.signed(payload))


@dataclass
class CountingTwilio(FakeTwilio):
    """FakeTwilio that records (our message id from the StatusCallback, HTTP status) per request."""

    answered: list[tuple[int | None, int]] = field(default_factory=list)

    def handle(self, request: RecordedRequest) -> Reply:
        reply = super().handle(request)
        callback = request.form.get("StatusCallback", "")
        self.answered.append((_int((parse_qs(urlparse(callback).query).get("message") or [None])[0]), reply.status))
        return reply
