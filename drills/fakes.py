"""The test fakes of Meta and Twilio (testkit/fakes) with what a soak needs on top: provider latency, outages
and permanent errors on demand, delivery receipts sent back like the real providers, and a log of every
send with the id of our Message it carried.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from testkit.fakes.base import RecordedRequest, Reply
from testkit.fakes.meta import FakeMeta, meta_error
from testkit.fakes.twilio import FakeTwilio, twilio_error


@dataclass
class Send:
    """One request to a provider: what it carried and what the provider answered."""

    at: float  # wall clock (time.time()) when the provider received it
    provider: str  # meta | twilio
    channel: str  # meta_whatsapp | twilio_whatsapp | twilio_sms
    message_id: int | None  # our messaging.Message pk, carried in the request
    status: int  # HTTP status the provider answered
    error_code: int | None = None
    body: str = ""  # text body (Twilio), for the acknowledgement link
    dropped: bool = False  # the provider took it, then the connection closed before its answer

    @property
    def accepted(self) -> bool:
        """The provider took the message (the user gets it), whether or not its answer reached Keryu."""
        return self.status < 300


@dataclass
class Behaviour:
    """How a fake misbehaves right now; the fault loop changes it."""

    latency: float = 0.1
    failing_until: float = 0.0  # monotonic: answer 500 until then
    permanent_until: float = 0.0  # monotonic: a share of sends get a permanent error until then
    permanent_share: float = 0.0
    drop_until: float = 0.0  # monotonic: accept each send, then close the connection unanswered until then
    receipts: bool = True
    rng: random.Random = field(default_factory=random.Random)

    def failing(self) -> bool:
        return time.monotonic() < self.failing_until

    def dropping(self) -> bool:
        return time.monotonic() < self.drop_until

    def permanent(self) -> bool:
        return time.monotonic() < self.permanent_until and self.rng.random() < self.permanent_share


class ReceiptSender:
    """Posts delivery receipts to Keryu's webhooks a second or two after a send, retrying while the web is down
    (real providers retry their webhooks too)."""

    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self._lock = threading.Lock()

    def later(self, deliver, delay: float | None = None) -> None:
        def run() -> None:
            time.sleep(random.uniform(0.5, 2.0) if delay is None else delay)
            for wait in (2, 5, 10, 20, 30):
                try:
                    if deliver() < 300:
                        with self._lock:
                            self.sent += 1
                        return
                except OSError:
                    pass
                time.sleep(wait)
            with self._lock:
                self.failed += 1

        threading.Thread(target=run, daemon=True).start()


class DrillMeta(FakeMeta):
    def __init__(self, *, behaviour: Behaviour, receipts: ReceiptSender, **kwargs) -> None:
        super().__init__(**kwargs)
        self.behaviour = behaviour
        self.receipts = receipts
        self.sends: list[Send] = []

    def handle(self, request: RecordedRequest) -> Reply:
        b = self.behaviour
        try:
            payload = request.json
        except ValueError:
            payload = {}
        message_id = _int(payload.get("biz_opaque_callback_data"))
        if b.failing():
            reply = Reply(500, meta_error(2, "Service temporarily unavailable", type_="OAuthException"))
        elif b.permanent():
            reply = Reply(400, meta_error(131026, "Message undeliverable"))
        else:
            reply = super().handle(request)
        reply.delay = b.latency
        # Accept-then-drop: Meta takes the message (the user gets it) and the connection closes unanswered.
        reply.drop = reply.status < 300 and b.dropping()
        code = (reply.body.get("error") or {}).get("code") if reply.status >= 300 else None
        self.sends.append(
            Send(time.time(), "meta", "meta_whatsapp", message_id, reply.status, code, dropped=reply.drop)
        )
        if reply.status < 300 and b.receipts and self.webhook_url:
            wamid = reply.body["messages"][0]["id"]
            to = str(payload.get("to", ""))
            url = self.webhook_url
            # A lost answer's receipt: half come late (after Keryu's uncertain window), half never.
            delay = None if not reply.drop else (b.rng.uniform(50, 90) if b.rng.random() < 0.5 else -1)
            if delay is None or delay >= 0:
                self.receipts.later(
                    lambda: self.send_status(url, wamid, "delivered", to=to, biz_opaque=str(message_id)), delay
                )
        return reply


class DrillTwilio(FakeTwilio):
    def __init__(self, *, behaviour: Behaviour, receipts: ReceiptSender, **kwargs) -> None:
        super().__init__(**kwargs)
        self.behaviour = behaviour
        self.receipts = receipts
        self.sends: list[Send] = []

    def handle(self, request: RecordedRequest) -> Reply:
        b = self.behaviour
        form = request.form
        callback = form.get("StatusCallback", "")
        message_id = _int((parse_qs(urlparse(callback).query).get("message") or [None])[0])
        channel = "twilio_whatsapp" if form.get("To", "").startswith("whatsapp:") else "twilio_sms"
        if b.failing():
            reply = Reply(500, twilio_error(20500, "Internal Server Error", 500))
        elif b.permanent():
            reply = Reply(400, twilio_error(21610, "Attempt to send to unsubscribed recipient"))
        else:
            reply = super().handle(request)
        reply.delay = b.latency
        code = reply.body.get("code") if reply.status >= 300 else None
        self.sends.append(Send(time.time(), "twilio", channel, message_id, reply.status, code, form.get("Body", "")))
        if reply.status < 300 and b.receipts and callback:
            sid, to, sender = reply.body["sid"], form.get("To", ""), form.get("From", "")
            self.receipts.later(lambda: self.send_status(callback, sid, "delivered", to=to, from_=sender))
        return reply


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
