"""A threaded HTTP server on 127.0.0.1 that records every request and can be told how to misbehave."""

from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)  # wall clock, for latency measurements

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Reply:
    status: int
    body: dict | str  # a str goes out as an HTML page (what a proxy answers), not JSON
    delay: float = 0.0
    # Take the request, then close the connection without answering (the answer lost on the way back).
    drop: bool = False


def whatsapp_user(number: str) -> str:
    """One WhatsApp user however the number is written (Meta and Twilio name a Mexican mobile 52 or 521 + ten
    digits): the key of a 24-hour window."""
    digits = re.sub(r"\D", "", number)
    return "52" + digits[3:] if digits.startswith("521") and len(digits) == 13 else digits


def wrote_within_a_day(last_wrote: dict[str, float], number: str) -> bool:
    """Whether `number` wrote in the last 24 hours (WhatsApp's customer-service window), by `last_wrote`
    (whatsapp_user -> time.time() of its last message)."""
    wrote = last_wrote.get(whatsapp_user(number))
    return wrote is not None and time.time() - wrote < 24 * 3600


@dataclass
class StatusScript:
    """A fake provider's status reports for the messages it accepts: `statuses` "" none (tests drive them),
    "in_order" sent/delivered/read, "chaos" shuffled and sometimes without "delivered" (a provider may report
    "read" without ever saying "delivered"), reproducibly from `seed`."""

    statuses: str = ""
    seed: int = 16

    def _chaos(self) -> random.Random:
        """One generator per seed: the same seed and the same sends give the same statuses, run after run."""
        if getattr(self, "_rng_seed", None) != self.seed:
            self._rng, self._rng_seed = random.Random(self.seed), self.seed
        return self._rng

    def _status_sequence(self) -> list[str]:
        if not self.statuses:
            return []
        sequence = ["sent", "delivered", "read"]
        if self.statuses == "chaos":
            rng = self._chaos()
            if rng.random() < 0.5:
                sequence.remove("delivered")
            rng.shuffle(sequence)
        return sequence


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: a worker's 32 threads connecting at once overflowed it on a loaded
    # machine, and a refused connection read as "connection lost" (an uncertain send). A provider's listen queue
    # is not what the fakes test.
    request_queue_size = 128


@dataclass
class FakeServer:
    """Subclasses implement `handle(request) -> Reply`. `script` overrides the next answers, in order.

    `latency` (seconds) is added to every answer: a real provider takes about 100 ms (benchmarks use it).
    `accept_then_drop`: every request the provider accepts (a 2xx it would answer) is recorded in `accepted`
    (it counts as sent to the user) and the connection is closed without an answer, as when a proxy or the
    network loses the response. Refusals are still answered.
    """

    requests: list[RecordedRequest] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)
    latency: float = 0.0
    accept_then_drop: bool = False
    accepted: list[tuple[RecordedRequest, dict]] = field(default_factory=list)

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = RecordedRequest(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                fake.requests.append(request)
                reply = fake.script.pop(0) if fake.script else fake.handle(request)
                if reply.delay or fake.latency:
                    time.sleep(reply.delay + fake.latency)
                if reply.drop or (fake.accept_then_drop and 200 <= reply.status < 300):
                    fake.accepted.append((request, reply.body))
                    fake.on_dropped(request, reply.body)
                    self.close_connection = True
                    return  # the socket closes with no status line: the client sees the connection end
                html = isinstance(reply.body, str)
                payload = reply.body.encode() if html else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/html" if html else "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def handle(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def on_dropped(self, request: RecordedRequest, body: dict | str) -> None:
        """A request was accepted and its answer dropped: a provider fake may still send the receipt."""

    def drop_next(self) -> None:
        """The next request is taken and its connection closed without an answer."""
        self.script.append(Reply(200, {}, drop=True))

    def proxy_error_next(self, status: int = 502) -> None:
        """The next request is answered by a proxy in front of the provider: an HTML page, no API error."""
        self.script.append(Reply(status, f"<html><body><h1>{status} Bad Gateway</h1></body></html>"))

    def hang_next(self, seconds: float = 1.0) -> None:
        """The next request gets its answer only after `seconds` (longer than the client's read timeout)."""
        self.script.append(Reply(200, {}, delay=seconds))


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """Deliver a callback the way a provider does (only ever to 127.0.0.1 in tests)."""
    assert url.startswith(("http://127.0.0.1", "http://localhost")), url
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def later(function, *args, **kwargs) -> None:
    """Run a callback on its own thread, after the current answer has gone out (as providers do)."""
    threading.Timer(0.05, function, args=args, kwargs=kwargs).start()
