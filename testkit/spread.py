"""The spread drill: finders' scans spread over two web processes while two workers share one queue and one of
them is SIGKILLed once; then a check, from the database, the fake providers and the process logs, that nothing
was done twice or left undone.

Shared by tests/test_spread_drill.py (small, on the test database and the shared Redis) and `bin/drill --spread`
(bigger, on a database and a redis-server of its own). Both start the Procfile's web, worker and beat through
testkit.procfile.Stack: two webs on two ports, two workers (threads pool, each `--hostname` its own), one beat.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from .celery_worker import wait_for
from .fakes.counting import CountingMeta, CountingTwilio
from .procfile import Stack
from .scans import alarm_from_location

WEBS = ("web-a", "web-b")
WORKERS = ("worker-a", "worker-b")
KILLED = WORKERS[0]
SITUATIONS = ("LOST", "INJURED", "CONTACT")
SENT_LINE = re.compile(r"attempt sent id=(\d+) ")
TASK_DONE = re.compile(r"Task alerts\.deliver_attempt\[[^\]]+\] succeeded")
SCAN_ACCESS = re.compile(r'"POST /scan/<code>/ HTTP/1\.[01]" (\d{3}) ')


# --- the finders ----------------------------------------------------------------------------------------------
@dataclass
class SpreadScan:
    code: str
    web: str  # the web process it was sent to
    situation: str
    pair: bool  # one of two reports of one code released together, one to each web process
    status: int | None = None
    alarm_id: int | None = None  # from the signed confirmation link
    error: str = ""
    detail: str = ""  # the exception's text, when there was no answer

    @property
    def accepted(self) -> bool:
        """The form's answer: a redirect to the confirmation page (what the finder reads as "sent")."""
        return self.status in (200, 302)


def spread_plan(codes: list[str], *, pairs: int, rng: random.Random) -> list[list[SpreadScan]]:
    """Every code scanned once, alternately on each web process; the first `pairs` codes by two finders at the
    same instant, one on each web process (same situation: the second report joins the first's alarm). Jobs in
    random order."""
    jobs: list[list[SpreadScan]] = []
    for index, code in enumerate(codes):
        situation = rng.choice(SITUATIONS)
        if index < pairs:
            jobs.append([SpreadScan(code, web, situation, pair=True) for web in WEBS])
        else:
            jobs.append([SpreadScan(code, WEBS[index % 2], situation, pair=False)])
    rng.shuffle(jobs)
    return jobs


def _post(base: str, scan: SpreadScan) -> None:
    data = {"situation_type": scan.situation, "description": "Spread drill", "location": "Parque México"}
    try:
        response = requests.post(f"{base}/scan/{scan.code}/", data=data, allow_redirects=False, timeout=(5, 60))
    except requests.RequestException as exc:
        scan.error, scan.detail = type(exc).__name__, str(exc)[:300]
        return
    scan.status = response.status_code
    scan.alarm_id = alarm_from_location(response.headers.get("Location", ""), scan.code)


def _job(bases: dict[str, str], job: list[SpreadScan]) -> None:
    if len(job) == 1:
        _post(bases[job[0].web], job[0])
        return
    barrier = threading.Barrier(len(job))

    def together(scan: SpreadScan) -> None:
        barrier.wait(timeout=30)
        _post(bases[scan.web], scan)

    others = [threading.Thread(target=together, args=(s,), daemon=True) for s in job[1:]]
    for thread in others:
        thread.start()
    together(job[0])
    for thread in others:
        thread.join(timeout=90)


def spread_scans(bases: dict[str, str], jobs: list[list[SpreadScan]], *, threads: int) -> list[SpreadScan]:
    """Send every job's scans from `threads` finders at once; returns the scans with their answers."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="finder") as pool:
        list(pool.map(lambda job: _job(bases, job), jobs))
    return [scan for job in jobs for scan in job]


# --- the processes --------------------------------------------------------------------------------------------
def spread_start(stack: Stack, *, ports: tuple[int, int], beat: bool = True) -> None:
    """Both webs, both workers (each with its own hostname) and one beat (`beat=False`: none; run the sweeper
    with `Sweeper`), supervised. All are started from this thread (see Stack.spawn) before waiting for any, so
    they boot side by side."""
    for name, port in zip(WEBS, ports, strict=True):
        stack.add(name, process="web", env={"PORT": str(port)}, wait=False)
    for name in WORKERS:
        stack.add(name, process="worker", args=["--hostname", f"{name}@%h"], wait=False)
    if beat:
        stack.add("beat", wait=False)
    for name in (*WEBS, *WORKERS, *(["beat"] if beat else [])):
        stack.wait_up(name)


class Sweeper:
    """Beat's `alerts.sweep`, run explicitly in this process every `every` seconds (a run without beat)."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweeper", daemon=True)

    def _run(self) -> None:
        from django.db import connection

        from alerts.tasks import sweep

        try:
            while not self._stop.wait(self.every):
                sweep()
                self.runs += 1
        finally:
            connection.close()

    def __enter__(self) -> Sweeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def sent_by(log: Path) -> list[int]:
    """Attempt ids a worker's log says it sent (every incarnation: a restarted worker appends to the log)."""
    if not log.exists():
        return []
    return [int(m.group(1)) for m in SENT_LINE.finditer(log.read_text(errors="replace"))]


@dataclass
class Kill:
    at: float
    sent_before: int  # sends worker-a had logged when it was killed
    scanning: bool  # finders were still scanning
    pids: list[int]
    back_after: float | None = None  # seconds until the supervisor had it ready again
    _watch: threading.Thread | None = field(default=None, repr=False)

    def wait_back(self, timeout: float) -> float | None:
        """Seconds from the kill until the restarted worker was ready; None if it was not within `timeout`."""
        if self._watch is not None:
            self._watch.join(timeout=timeout)
        return self.back_after


def spread_run(
    stack: Stack,
    bases: dict[str, str],
    jobs: list[list[SpreadScan]],
    *,
    threads: int,
    kill_after_sends: int,
    say: Callable[[str], None] = lambda text: None,
) -> tuple[list[SpreadScan], Kill | None]:
    """Scan from a thread of its own; once worker-a has logged `kill_after_sends` sends, SIGKILL it (the
    supervisor brings it back while the other worker goes on: `Kill.wait_back`); return when the finders are
    done."""
    result: list[SpreadScan] = []
    done = threading.Event()

    def scanning() -> None:
        try:
            result.extend(spread_scans(bases, jobs, threads=threads))
        finally:
            done.set()

    finder = threading.Thread(target=scanning, name="finders", daemon=True)
    finder.start()
    log = stack.run_dir / f"{KILLED}.log"
    kill = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(sent_by(log)) < kill_after_sends:
        if done.is_set() and not _busy():
            break  # nothing left for it to do: no point killing an idle worker
        time.sleep(0.05)
    sent = len(sent_by(log))
    if sent >= kill_after_sends:
        began = time.time()
        pids = stack.kill_tree(KILLED)
        kill = Kill(at=began, sent_before=sent, scanning=not done.is_set(), pids=pids)
        say(f"SIGKILL {KILLED} pids {pids} after {sent} sends (finders still scanning: {kill.scanning})")

        def back(kill: Kill = kill) -> None:
            # A restarted worker appends to its predecessor's log: back at its second "ready."
            try:
                wait_for(lambda: _text(log).count(" ready.") >= 2, timeout=180, interval=0.2)
            except AssertionError:
                return
            kill.back_after = time.time() - kill.at
            say(f"{KILLED} back after {kill.back_after:.1f} s")

        kill._watch = threading.Thread(target=back, name="kill-watch", daemon=True)
        kill._watch.start()
    finder.join()
    return result, kill


def _busy() -> int:
    """Due work not finished: PENDING (due), PROCESSING, or an uncertain send still waiting for its receipt."""
    from django.db.models import Q
    from django.utils import timezone

    from alerts.models import NotificationAttempt, NotificationStatus

    now = timezone.now()
    return NotificationAttempt.objects.filter(
        Q(status__in=[NotificationStatus.PROCESSING, NotificationStatus.UNCERTAIN])
        | Q(status=NotificationStatus.PENDING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    ).count()


def spread_drain(*, timeout: float, quiet: float = 3.0) -> bool:
    """Wait (bounded) until no due work is left for `quiet` seconds in a row."""
    since: float | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _busy():
            since = None
        elif since is None:
            since = time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
        time.sleep(0.25)
    return False


# --- the check ------------------------------------------------------------------------------------------------
@dataclass
class SpreadFigures:
    scans: int
    accepted: int
    refused: dict[str, int]
    alarms: int
    pair_codes: int
    joined: int  # accepted reports that joined the alarm of the other report of their pair
    recipients_due: int  # (alarm, update, escalation wave, recipient) that had to be told by the end
    provider_requests: int  # requests the providers accepted
    provider_refusals: int  # requests a provider refused (retried by design)
    scheduled_later: int  # rows not due by the end (a contact's delay, a throttled update)
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    per_worker: dict[str, int] = field(default_factory=dict)  # sends logged per worker
    per_worker_tasks: dict[str, int] = field(default_factory=dict)  # deliver_attempt tasks finished per worker
    per_web: dict[str, int] = field(default_factory=dict)  # accepted scans per web, as the finders saw them
    per_web_logged: dict[str, int] = field(default_factory=dict)  # scan POSTs in each web's access log
    attempts_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.lost or self.problems)

    def line(self) -> str:
        a, b = (self.per_worker.get(w, 0) for w in WORKERS)
        c, d = (self.per_web_logged.get(w, 0) for w in WEBS)
        return (
            f"Spread drill: {self.scans} scans over 2 web, 2 workers: alarms {self.alarms}, provider requests "
            f"{self.provider_requests}, duplicates {len(self.duplicates)}, lost {len(self.lost)}, "
            f"per worker split {a}/{b}, per web split {c}/{d}"
        )


def spread_check(
    scans: list[SpreadScan], *, fakes: tuple[CountingMeta, CountingTwilio], run_dir: Path, ended: datetime
) -> SpreadFigures:
    """Every accepted scan names exactly one alarm and every code has one; every recipient due by `ended` got
    exactly one request a provider accepted (no more: duplicate; none: lost); no attempt was sent by both
    workers; both workers sent and both webs took scans."""
    from alerts.models import Alarm, NotificationAttempt, NotificationStatus, ScanEvent

    problems: list[str] = []
    accepted = [s for s in scans if s.accepted]
    refused = Counter(s.error or f"HTTP {s.status}" for s in scans if not s.accepted)
    by_code: dict[str, list[SpreadScan]] = defaultdict(list)
    for scan in accepted:
        by_code[scan.code].append(scan)
        if scan.alarm_id is None:
            problems.append(f"scan of {scan.code[:8]} on {scan.web} accepted without naming an alarm")
    alarms = {
        a["pk"]: a for a in Alarm.objects.values("pk", "qr_code__uuid", "report_count", "update_count").order_by("pk")
    }
    per_code_rows = Counter(str(a["qr_code__uuid"]) for a in alarms.values())
    joined = 0
    for code, reports in by_code.items():
        named = {s.alarm_id for s in reports}
        if len(named) != 1 or per_code_rows[code] != 1:
            problems.append(
                f"code {code[:8]}: reports name alarms {sorted(map(str, named))}, rows {per_code_rows[code]}"
            )
            continue
        alarm = alarms.get(next(iter(named)))
        if alarm is None or str(alarm["qr_code__uuid"]) != code:
            problems.append(f"code {code[:8]}: the alarm named is missing or another code's")
            continue
        events = ScanEvent.objects.filter(alarm_id=alarm["pk"]).count()
        joined += events
        if alarm["report_count"] != len(reports) or events != len(reports) - 1:
            problems.append(
                f"alarm {alarm['pk']}: {len(reports)} accepted reports, report_count {alarm['report_count']}, "
                f"{events} joined reports recorded"
            )
        if len(reports) > 1 and alarm["update_count"] != 1:
            problems.append(f"alarm {alarm['pk']}: {alarm['update_count']} updates scheduled for one joined report")
    orphans = set(alarms) - {s.alarm_id for s in accepted}
    problems += [f"alarm {pk} raised without an accepted scan" for pk in sorted(orphans)]

    # Deliveries: every provider-accepted request, by the (alarm, update, recipient) it was for.
    attempts = list(
        NotificationAttempt.objects.values(
            "pk", "alarm_id", "update_seq", "wave", "recipient_key", "channel", "status", "not_before", "message_id"
        )
    )
    by_message = {a["message_id"]: a for a in attempts if a["message_id"]}
    # The providers' records are read after the rows: a row due at the very end may be sent while the check
    # runs; its request then counts for it, and a request for a message newer than the rows read is ignored.
    newest = max(by_message, default=0)
    sends = [(m, status) for m, status in provider_sends(*fakes) if m is None or m <= newest]
    taken: Counter[tuple[int, int, int, str]] = Counter()
    channels: dict[tuple[int, int, int, str], list[str]] = defaultdict(list)
    for message_id, status in sends:
        if status >= 300:
            continue
        row = by_message.get(message_id)
        if row is None:
            problems.append(f"a provider took message {message_id}, which no attempt sent")
            continue
        key = (row["alarm_id"], row["update_seq"], row["wave"], row["recipient_key"])
        taken[key] += 1
        channels[key].append(row["channel"])
    # One recipient's message for one alarm, update and escalation wave: a fallback to the next channel is part
    # of it (sent again on another channel only when the first never reached the provider).
    groups: dict[tuple[int, int, int, str], list[dict]] = defaultdict(list)
    for a in attempts:
        groups[(a["alarm_id"], a["update_seq"], a["wave"], a["recipient_key"])].append(a)
    due = 0
    scheduled_later = 0
    duplicates, lost = [], []
    for key, rows in sorted(groups.items()):
        later_rows = [
            r for r in rows if r["status"] == NotificationStatus.PENDING and r["not_before"] and r["not_before"] > ended
        ]
        if len(later_rows) == len(rows) and not taken[key]:
            scheduled_later += 1
            continue
        if all(r["status"] == NotificationStatus.CANCELLED for r in rows):
            continue
        due += 1
        label = f"alarm {key[0]} update {key[1]} wave {key[2]} {key[3]}"
        if taken[key] > 1:
            duplicates.append(f"{label}: {taken[key]} requests taken ({', '.join(channels[key])})")
        elif taken[key] == 0:
            lost.append(f"{label}: nothing sent (rows: {', '.join(r['channel'] + ' ' + r['status'] for r in rows)})")

    # Who did the work.
    per_worker = {w: sent_by(run_dir / f"{w}.log") for w in WORKERS}
    twice = set(per_worker[WORKERS[0]]) & set(per_worker[WORKERS[1]])
    duplicates += [f"attempt {pk} logged as sent by both workers" for pk in sorted(twice)]
    for worker, ids in per_worker.items():
        repeated = [pk for pk, n in Counter(ids).items() if n > 1]
        duplicates += [f"attempt {pk} logged as sent twice by {worker}" for pk in repeated]
        if not ids:
            problems.append(f"{worker} sent nothing")
    tasks = {w: len(TASK_DONE.findall(_text(run_dir / f"{w}.log"))) for w in WORKERS}
    per_web = {w: sum(1 for s in accepted if s.web == w) for w in WEBS}
    logged = {w: sum(1 for m in SCAN_ACCESS.finditer(_text(run_dir / f"{w}.log")) if m.group(1) == "302") for w in WEBS}
    problems += [f"{w} served no scan (access log)" for w, n in logged.items() if not n]
    return SpreadFigures(
        scans=len(scans),
        accepted=len(accepted),
        refused=dict(refused),
        alarms=len(alarms),
        pair_codes=sum(1 for reports in by_code.values() if any(s.pair for s in reports)),
        joined=joined,
        recipients_due=due,
        provider_requests=sum(1 for _, status in sends if status < 300),
        provider_refusals=sum(1 for _, status in sends if status >= 300),
        scheduled_later=scheduled_later,
        duplicates=duplicates,
        lost=lost,
        problems=problems,
        per_worker={w: len(ids) for w, ids in per_worker.items()},
        per_worker_tasks=tasks,
        per_web=per_web,
        per_web_logged=logged,
        attempts_by_status=dict(Counter(a["status"] for a in attempts)),
    )


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def provider_sends(*fakes: CountingMeta | CountingTwilio) -> list[tuple[int | None, int]]:
    return list(itertools.chain.from_iterable(f.answered for f in fakes))
