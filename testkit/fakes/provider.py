"""A local HTTP server standing in for a messaging provider, for worker-process tests.

POST /send  records one provider call and answers by the current mode: "ok" (200 + id), "500" (server
error, transient), "400" (rejected, permanent). GET /before?pid=N is called by the test channel just
before it sends: it records which worker process got there and, while `hold` is set, blocks until released,
so a test can kill that process before the provider call.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class ProviderFake:
    def __init__(self) -> None:
        self.mode = "ok"
        self.calls: list[dict] = []
        self.arrivals: list[int] = []
        self.hold = threading.Event()  # set: /before blocks
        self.release = threading.Event()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                with fake.lock:
                    fake.arrivals.append(int(query.get("pid", ["0"])[0]))
                if fake.hold.is_set():
                    fake.release.wait(timeout=60)
                self._reply(200, {"ok": True})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.calls.append(payload)
                    mode = fake.mode
                if mode == "500":
                    self._reply(500, {"error": "internal"})
                elif mode == "400":
                    self._reply(400, {"error": "invalid recipient"})
                else:
                    self._reply(200, {"id": f"fake-{uuid.uuid4().hex}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ProviderFake:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def calls_for(self, message_id: int) -> int:
        return sum(1 for c in self.calls if c.get("message_id") == message_id)
