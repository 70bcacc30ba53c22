"""A local HTTP server standing in for a messaging provider, for worker-process tests.

POST /send  records one provider call and answers by the current mode: "ok" (200 + id), "500" (server
error, transient), "400" (rejected, permanent). GET /before?pid=N is called by the test channel just
before it sends: it records which worker process got there and, while `hold` is set, blocks until released,
so a test can kill that process before the provider call.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from .base import FakeServer, RecordedRequest, Reply


@dataclass
class ProviderFake(FakeServer):
    mode: str = "ok"
    calls: list[dict] = field(default_factory=list)
    arrivals: list[int] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)  # set: /before blocks
    release: threading.Event = field(default_factory=threading.Event)

    def handle(self, request: RecordedRequest) -> Reply:
        url = urlparse(request.path)
        if request.method == "GET" and url.path == "/before":
            self.arrivals.append(int(parse_qs(url.query).get("pid", ["0"])[0]))
            if self.hold.is_set():
                self.release.wait(timeout=60)
            return Reply(200, {"ok": True})
        if request.method != "POST" or url.path != "/send":
            return Reply(404, {"error": "not found"})
        self.calls.append(request.json if request.body else {})
        if self.mode == "500":
            return Reply(500, {"error": "internal"})
        if self.mode == "400":
            return Reply(400, {"error": "invalid recipient"})
        return Reply(200, {"id": f"fake-{uuid.uuid4().hex}"})

    def stop(self) -> None:
        self.release.set()  # a request held at /before must not outlive the test
        super().stop()

    def calls_for(self, message_id: int) -> int:
        return sum(1 for c in self.calls if c.get("message_id") == message_id)
