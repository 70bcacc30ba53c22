"""Fault drill / soak: `bin/drill [--duration 3600] [--scan-every 5] [--fault-every 180] [--seed N]`;
spread drill: `bin/drill --spread [--codes 600] [--pairs 100] [--finders 12]` (drills/spread.py).

Sets up its own database, Redis and fake providers, runs the Procfile's web, worker and beat under a
systemd-like supervisor, scans through gunicorn while injecting faults, drains, and appends the report to
docs/soak.md. See README.md ("Fault drills").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bin/drill", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--duration", type=float, default=3600, help="seconds of scanning and faults (default 3600)")
    p.add_argument("--scan-every", type=float, default=5, help="mean seconds between scans (default 5)")
    p.add_argument("--fault-every", type=float, default=180, help="mean seconds between faults (default 180)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    p.add_argument("--faults", default="", help="comma-separated faults to rotate through (default: all)")
    p.add_argument("--drain", type=float, default=300, help="longest wait for due work to finish (default 300)")
    p.add_argument("--subjects", type=int, default=120, help="subjects (each with an active code) to seed")
    p.add_argument(
        "--database-url",
        default=os.environ.get("KERYU_DRILL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keryu_drill"),
        help="PostgreSQL database the drill DROPS and recreates (default keryu_drill on 127.0.0.1)",
    )
    p.add_argument("--report", default=str(ROOT / "docs" / "soak.md"), help="file the report is appended to")
    p.add_argument("--report-from", default="", help="only rebuild the report of a finished run (its var/drill dir)")
    p.add_argument("--flag-file", default="", help="a file that exists exactly while the drill runs")
    spread = p.add_argument_group(
        "spread drill", "--spread: two web processes and two workers on one database; nothing doubled or lost"
    )
    spread.add_argument("--spread", action="store_true", help="run the spread drill instead of the soak")
    spread.add_argument("--codes", type=int, default=600, help="codes to seed, each scanned once (default 600)")
    spread.add_argument("--pairs", type=int, default=100, help="codes scanned by two finders at once (default 100)")
    spread.add_argument("--finders", type=int, default=12, help="finder threads scanning at once (default 12)")
    return p.parse_args(argv)


def log(text: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {text}", flush=True)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        return out.stdout.strip() + ("+changes" if dirty.strip() else "")
    except OSError:
        return "unknown"


def machine() -> str:
    return f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.report_from:
        sys.path.insert(0, str(ROOT))
        return report_again(Path(args.report_from).resolve(), Path(args.report))
    seed = args.seed if args.seed is not None else int(time.time()) % 100000
    rng = random.Random(seed)
    flag = Path(args.flag_file) if args.flag_file else None
    if flag:
        flag.write_text(f"bin/drill pid {os.getpid()} started {datetime.now(UTC).isoformat()}\n")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if args.spread:
            sys.path.insert(0, str(ROOT))
            from .spread import run_spread

            return run_spread(args, seed, rng)
        return run(args, seed, rng)
    finally:
        if flag:
            flag.unlink(missing_ok=True)


def run(args: argparse.Namespace, seed: int, rng: random.Random) -> int:
    sys.path.insert(0, str(ROOT))
    from .environment import database_recreate, drill_env, free_port, migrate
    from .fakes import Behaviour, DrillMeta, DrillTwilio, ReceiptSender

    run_dir = ROOT / "var" / "drill" / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (run_dir / "mail").mkdir(parents=True, exist_ok=True)
    log(f"drill seed={seed} duration={args.duration:.0f}s run dir {run_dir.relative_to(ROOT)}")

    receipts = ReceiptSender()
    meta_b, twilio_b = Behaviour(rng=random.Random(seed + 1)), Behaviour(rng=random.Random(seed + 2))
    meta = DrillMeta(behaviour=meta_b, receipts=receipts).start()
    twilio = DrillTwilio(behaviour=twilio_b, receipts=receipts).start()
    web_port, redis_port = free_port(), free_port()
    env = drill_env(
        database_url=args.database_url,
        redis_port=redis_port,
        web_port=web_port,
        run_dir=run_dir,
        meta=meta,
        twilio=twilio,
    )
    meta.webhook_url = f"http://127.0.0.1:{web_port}/webhooks/whatsapp/"
    # Before anything imports Django settings (testkit.procs does at import): this process is configured
    # exactly like the ones it starts.
    os.environ.update(env)
    (run_dir / "env.json").write_text(json.dumps(env))  # for --report-from (var/ is not committed)
    from testkit.procfile import AofRedis, Stack

    from .report import Event

    redis = AofRedis(run_dir / "redis", redis_port)
    events: list[Event] = []

    def event(kind: str, target: str, began: float, ended: float, detail: str) -> None:
        events.append(Event(kind, target, began, ended, detail))
        log(f"{kind} {target}: {detail} ({ended - began:.1f} s)")

    log(f"recreating database {args.database_url.rsplit('/', 1)[-1]} and migrating")
    database_recreate(args.database_url)
    migrate(env, run_dir / "migrate.log")

    import django

    django.setup()
    from django.db import connection

    from .environment import seed as seed_data

    codes = seed_data(subjects=args.subjects, rng=rng)
    connection.close()
    log(f"seeded {len(codes)} subjects with active codes")

    stack = Stack(env=env, run_dir=run_dir, redis=redis, web_port=web_port, events=event)
    threads: list[threading.Thread] = []
    try:
        stack.start_all()
        log(f"web http://127.0.0.1:{web_port}/, worker, beat and redis :{redis_port} up")
        return soak(
            args, seed, rng, stack, meta, twilio, meta_b, twilio_b, receipts, codes, events, event, run_dir, threads
        )
    finally:
        log("stopping processes")
        stack.stop_all()
        meta.stop()
        twilio.stop()


def soak(
    args, seed, rng, stack, meta, twilio, meta_b, twilio_b, receipts, codes, events, event, run_dir, threads
) -> int:
    from .faults import ROTATION, Faults
    from .report import Inputs, save
    from .scanner import Acker, Scanner

    base_url = f"http://127.0.0.1:{stack.web_port}"
    acker = Acker(base_url=base_url, rng=random.Random(seed + 3))
    scanner = Scanner(base_url=base_url, codes=codes, rng=random.Random(seed + 4), on_accepted=acker.offer)
    faults = Faults(
        stack=stack,
        meta=meta_b,
        twilio=twilio_b,
        provider_ports={meta.server.server_address[1], twilio.server.server_address[1]},
        event=event,
        rng=random.Random(seed + 5),
        database_url=args.database_url,
        scanner=scanner,
    )
    rotation = [f for f in args.faults.split(",") if f] or ROTATION
    unknown = set(rotation) - set(ROTATION)
    if unknown:
        raise SystemExit(f"unknown faults {sorted(unknown)}; choose from {ROTATION}")
    for target, name, fargs in (
        (stack.supervise, "supervisor", ()),
        (scanner.run, "scanner", (args.scan_every,)),
        (faults.run, "faults", (args.fault_every, rotation)),
        (acker.run, "acker", ()),
    ):
        thread = threading.Thread(target=target, args=fargs, name=name, daemon=True)
        thread.start()
        threads.append(thread)
    started = time.time()
    commit = git_commit()  # now: the code that runs, whatever is committed while it does
    try:
        while time.time() - started < args.duration:
            time.sleep(min(30, max(0.1, args.duration - (time.time() - started))))
            accepted = sum(1 for s in scanner.scans if s.accepted)
            log(f"t+{time.time() - started:.0f}s scans {len(scanner.scans)} accepted {accepted} faults {len(events)}")
    finally:
        log("stopping scans and faults; draining")
        scanner.finish()
        faults.stop.set()
        threads[2].join(timeout=200)
        faults.heal()
    scanning_ended = time.time()
    drained = drain(args.drain)
    acker.stop.set()
    threads[3].join(timeout=30)
    ended = time.time()
    stack_text = (
        f"Stack: PostgreSQL, own redis-server (AOF everysec), Procfile web (gunicorn {stack.env.get('WEB_CONCURRENCY', '2')}x"
        f"{stack.env.get('WEB_THREADS', '4')} threads), worker (prefork {stack.env.get('CELERY_CONCURRENCY', '4')}), beat; "
        f"fake Meta/Twilio with {meta_b.latency * 1000:.0f} ms latency; channels {stack.env['KERYU_CHANNEL_ORDER']}; "
        f"scan cooldown {stack.env['KERYU_SCAN_COOLDOWN_SECONDS']} s, POST/GET per-IP limits raised (one client IP). "
        f"Seed {seed}; logs under {run_dir.relative_to(ROOT)}/."
    )
    inputs = Inputs(
        started=started,
        scanning_ended=scanning_ended,
        ended=ended,
        drained=drained,
        scans=list(scanner.scans),
        acks=list(acker.acks),
        sends=[*meta.sends, *twilio.sends],
        events=list(events),
        mail_dir=run_dir / "mail",
        run_dir=run_dir,
        receipts_sent=receipts.sent,
        receipts_failed=receipts.failed,
        settings={
            "commit": commit,
            "machine": machine(),
            "argv": " ".join(sys.argv[1:]),
            "stack": stack_text,
        },
    )
    save(inputs)
    return report_write(run_dir, Path(args.report))


def report_write(run_dir: Path, report: Path) -> int:
    """Build the report from a run's saved record, append it to `report`, print it; exit status 1 if anything was lost."""
    from .report import build, load

    text, figures = build(load(run_dir))
    report.parent.mkdir(parents=True, exist_ok=True)
    if not report.exists():
        report.write_text(
            '# Soak and fault drill reports\n\nAppended by `bin/drill` (see README.md, "Fault drills"); newest last.\n\n'
        )
    with report.open("a") as out:
        out.write(text + "\n")
    (run_dir / "report.md").write_text(text + "\n")
    print(text, flush=True)
    log(f"figures: {figures}")
    return 0 if figures["lost"] == 0 else 1


def report_again(run_dir: Path, report: Path) -> int:
    """--report-from: the database and files of a finished run are still there; rebuild its report."""
    env = json.loads((run_dir / "env.json").read_text())
    os.environ.update(env)
    import django

    django.setup()
    return report_write(run_dir, report)


def drain(limit: float) -> bool:
    """Wait (bounded) until nothing due is pending or processing for 15 s in a row."""
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from alerts.models import NotificationAttempt, NotificationStatus

    deadline = time.monotonic() + limit
    quiet_since = None
    try:
        while time.monotonic() < deadline:
            busy = (
                NotificationAttempt.objects.filter(
                    status__in=[NotificationStatus.PENDING, NotificationStatus.PROCESSING]
                )
                .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
                .count()
            )
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= 15:
                log("drained")
                return True
            time.sleep(2)
        log(f"drain: still busy after {limit:.0f} s")
        return False
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
