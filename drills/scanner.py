"""Finders and custodians: real HTTP POSTs of the scan form to gunicorn, and acknowledgements through the
signed link in the messages, each recorded with its answer and timing."""

from __future__ import annotations

import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from django.db import connection

from testkit.scans import alarm_from_location

SITUATIONS = ["INJURED", "LOST", "CONTACT"]


@dataclass
class Scan:
    at: float  # wall clock when the POST went out
    code: str
    situation: str
    repeat: bool  # a deliberate second report of a code scanned moments ago
    status: int | None = None  # HTTP status, None when no answer
    latency: float | None = None
    error: str = ""
    alarm_id: int | None = None  # from the signed confirmation link, when accepted
    burst: bool = False  # one of a burst of concurrent reports of one code

    @property
    def accepted(self) -> bool:
        return self.alarm_id is not None


class Scanner:
    """A scan every `every` seconds (jittered), on its own thread each, so a slow answer never delays the next."""

    def __init__(
        self,
        *,
        base_url: str,
        codes: list[str],
        rng: random.Random,
        on_accepted=None,
        repeat_share: float = 0.08,
    ) -> None:
        self.base_url = base_url
        self.on_accepted = on_accepted
        self.codes = codes
        self.rng = rng
        self.repeat_share = repeat_share
        self.scans: list[Scan] = []
        self.stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="scan")
        self._cycle: list[str] = []
        self._recent: list[tuple[float, str]] = []

    def _next_code(self) -> tuple[str, bool]:
        now = time.monotonic()
        self._recent = [(t, c) for t, c in self._recent if now - t < 40]
        if self._recent and self.rng.random() < self.repeat_share:
            return self.rng.choice(self._recent)[1], True
        if not self._cycle:
            # Every code once per round, in a new order each round: repeats only when meant.
            self._cycle = self.rng.sample(self.codes, len(self.codes))
        code = self._cycle.pop()
        self._recent.append((now, code))
        return code, False

    def run(self, every: float) -> None:
        while not self.stop.is_set():
            code, repeat = self._next_code()
            scan = Scan(at=time.time(), code=code, situation=self.rng.choice(SITUATIONS), repeat=repeat)
            self.scans.append(scan)
            self._pool.submit(self._post, scan)
            self.stop.wait(every * self.rng.uniform(0.5, 1.5))

    def burst(self, count: int) -> tuple[str, set[int]]:
        """`count` reports of one code released together; the alarms they were told of."""
        code = self._cycle.pop() if self._cycle else self.rng.choice(self.codes)
        barrier = threading.Barrier(count)
        scans = [
            Scan(at=time.time(), code=code, situation=self.rng.choice(SITUATIONS), repeat=i > 0, burst=True)
            for i in range(count)
        ]
        self.scans.extend(scans)

        def post(scan: Scan) -> None:
            barrier.wait(timeout=30)
            scan.at = time.time()
            self._post(scan)

        threads = [threading.Thread(target=post, args=(s,), daemon=True) for s in scans]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
        return code, {s.alarm_id for s in scans if s.alarm_id is not None}

    def _post(self, scan: Scan) -> None:
        began = time.monotonic()
        data = {"situation_type": scan.situation, "description": "Soak drill", "location": "Parque México"}
        try:
            response = requests.post(
                f"{self.base_url}/scan/{scan.code}/", data=data, allow_redirects=False, timeout=(5, 30)
            )
            scan.status = response.status_code
            scan.alarm_id = alarm_from_location(response.headers.get("Location", ""), scan.code)
            if scan.alarm_id is None and response.status_code != 429:
                scan.error = f"HTTP {response.status_code}"
            elif response.status_code == 429:
                scan.error = "rate limited (429)"
        except requests.RequestException as exc:
            scan.error = type(exc).__name__
        scan.latency = time.monotonic() - began
        if scan.alarm_id is not None and self.on_accepted is not None:
            self.on_accepted(scan.alarm_id)

    def finish(self) -> None:
        self.stop.set()
        self._pool.shutdown(wait=True)


@dataclass
class Ack:
    alarm_id: int
    at: float = 0.0
    status: int | None = None
    acknowledged: bool = False
    error: str = ""


class Acker:
    """Some custodians press the link in their message a little after it reaches them (the first wins)."""

    def __init__(self, *, base_url: str, rng: random.Random, share: float = 0.3) -> None:
        self.base_url = base_url
        self.rng = rng
        self.share = share
        self.acks: list[Ack] = []
        self.stop = threading.Event()
        self._queue: list[tuple[float, int, int]] = []  # (due monotonic, alarm id, tries)
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def offer(self, alarm_id: int) -> None:
        with self._lock:
            if alarm_id in self._seen:
                return
            self._seen.add(alarm_id)
            if self.rng.random() < self.share:
                self._queue.append((time.monotonic() + self.rng.uniform(15, 90), alarm_id, 0))

    def run(self) -> None:
        try:
            while not self.stop.wait(1):
                now = time.monotonic()
                with self._lock:
                    due = [item for item in self._queue if item[0] <= now]
                    self._queue = [item for item in self._queue if item[0] > now]
                for _, alarm_id, tries in due:
                    if not self._ack(alarm_id) and tries < 5:
                        with self._lock:
                            self._queue.append((now + 30, alarm_id, tries + 1))
        finally:
            connection.close()

    def _ack(self, alarm_id: int) -> bool:
        """Acknowledge through the link of a message the custodian received; False: nothing received yet
        (or the database connection was cut by a fault: try again later)."""
        from django.db import DatabaseError

        try:
            return self._ack_once(alarm_id)
        except DatabaseError:
            connection.close()
            return False

    def _ack_once(self, alarm_id: int) -> bool:
        from alerts.models import NotificationAttempt, RecipientKind
        from alerts.services import ack_url
        from alerts.services.alarm_status import SUCCESS

        attempt = (
            NotificationAttempt.objects.filter(
                alarm_id=alarm_id, recipient_kind=RecipientKind.CUSTODIAN, status__in=SUCCESS
            )
            .order_by("sent_at")
            .first()
        )
        if attempt is None:
            return False
        ack = Ack(alarm_id=alarm_id, at=time.time())
        self.acks.append(ack)
        url = ack_url(attempt)
        try:
            session = requests.Session()
            page = session.get(url, timeout=(5, 30))
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            if token is None:
                ack.status, ack.error = page.status_code, "no form on the acknowledgement page"
                return True
            response = session.post(
                url, data={"csrfmiddlewaretoken": token.group(1), "note": "On my way"}, timeout=(5, 30)
            )
            ack.status = response.status_code
            ack.acknowledged = response.status_code == 200
        except requests.RequestException as exc:
            ack.error = type(exc).__name__
            return False  # the web is away: try again later
        return True
