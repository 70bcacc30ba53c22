"""`bin/drill --spread`: the spread drill at size (testkit/spread.py; the CI-sized one is tests/test_spread_drill.py).

Its own database (dropped and recreated) and redis-server, the fake Meta (100 ms, delivery receipts) and
Twilio, and the Procfile's web twice (two ports), worker twice (threads pool, a hostname each) and beat, with
production's sweeper, lease and receipt timings. Finders scan every seeded code once from several threads,
alternating web processes, and a share of codes twice at the same instant (one report on each web process);
one worker is SIGKILLed once while it works and comes back under the supervisor. After the drain the check's
figures are appended to the report (docs/soak.md); exit status 1 when anything was doubled or lost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from .__main__ import ROOT, git_commit, log, machine


def run_spread(args: argparse.Namespace, seed: int, rng: random.Random) -> int:
    from .environment import database_recreate, drill_env, free_port, migrate

    run_dir = ROOT / "var" / "drill" / ("spread-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S"))
    (run_dir / "mail").mkdir(parents=True, exist_ok=True)
    ports = (free_port(), free_port())
    redis_port = free_port()
    from testkit.fakes.counting import CountingMeta, CountingTwilio

    meta = CountingMeta(latency=0.1).start()
    twilio = CountingTwilio().start()
    meta.webhook_urls = [f"http://127.0.0.1:{port}/webhooks/whatsapp/" for port in ports]
    env = drill_env(
        database_url=args.database_url,
        redis_port=redis_port,
        web_port=ports[0],
        run_dir=run_dir,
        meta=meta,
        twilio=twilio,
    )
    env |= {
        "KERYU_CHANNEL_ORDER": "meta_whatsapp,twilio_sms",
        "KERYU_SCAN_POST_RATE_PER_CODE": "100000/600",
        # Every recipient here is a new WhatsApp conversation: past the shipped tier (250 a day) they would all
        # go by SMS at 1 a second, which measures the tier, not the spreading (tests/messaging covers the tier).
        "KERYU_WHATSAPP_CONVERSATION_TIER": "1000000",
    }
    os.environ.update(env)  # before Django is set up: this process is configured like the ones it starts
    (run_dir / "env.json").write_text(json.dumps(env))
    log(f"spread drill seed={seed} codes={args.codes} pairs={args.pairs} run dir {run_dir.relative_to(ROOT)}")
    database_recreate(args.database_url)
    migrate(env, run_dir / "migrate.log")

    import django

    django.setup()
    from django.db import connection

    from messaging.services import channel_order_set
    from testkit.procfile import AofRedis, Stack

    from .environment import seed as seed_data

    channel_order_set(keys=["meta_whatsapp", "twilio_sms"])
    codes = seed_data(subjects=args.codes, rng=rng)
    connection.close()
    log(f"seeded {len(codes)} subjects with active codes")
    events: list[tuple] = []
    stack = Stack(
        env=env,
        run_dir=run_dir,
        redis=AofRedis(run_dir / "redis", redis_port),
        web_port=ports[0],
        events=lambda *e: (events.append(e), log(f"{e[0]} {e[1]}: {e[4]}")),
    )
    try:
        assert stack.redis is not None
        stack.redis.start()
        return _drill(args, seed, rng, stack, ports, codes, meta, twilio, run_dir, events)
    finally:
        log("stopping processes")
        stack.stop_all()
        meta.stop()
        twilio.stop()


def _drill(args, seed, rng, stack, ports, codes, meta, twilio, run_dir: Path, events) -> int:
    from django.utils import timezone

    from testkit.spread import WEBS, spread_check, spread_drain, spread_plan, spread_run, spread_start

    began = time.time()
    spread_start(stack, ports=ports)
    log(f"web-a :{ports[0]}, web-b :{ports[1]}, worker-a, worker-b, beat up in {time.time() - began:.0f} s")
    threading.Thread(target=stack.supervise, name="supervisor", daemon=True).start()
    bases = {web: f"http://127.0.0.1:{port}" for web, port in zip(WEBS, ports, strict=True)}
    jobs = spread_plan(codes, pairs=args.pairs, rng=rng)
    commit = git_commit()
    started = time.time()
    scans, kill = spread_run(
        stack, bases, jobs, threads=args.finders, kill_after_sends=max(1, len(codes) // 6), say=log
    )
    scanned = time.time()
    log(f"{len(scans)} scans in {scanned - started:.1f} s; draining")
    drained = spread_drain(timeout=args.drain, quiet=15)
    ended = time.time()
    log("drained" if drained else f"drain: still busy after {args.drain:.0f} s")
    figures = spread_check(scans, fakes=(meta, twilio), run_dir=run_dir, ended=timezone.now())
    kill_text = (
        f"worker-a SIGKILLed (pids {kill.pids}) after it had logged {kill.sent_before} sends, "
        f"{'while finders were still scanning' if kill.scanning else 'after the finders were done'}; "
        f"back under the supervisor after {kill.back_after:.1f} s"
        if kill is not None and kill.back_after is not None
        else "no worker was killed"
    )
    text = "\n".join(
        [
            f"## Spread drill {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M} UTC · commit {commit} · {machine()}",
            "",
            f"`bin/drill --spread --codes {args.codes} --pairs {args.pairs} --finders {args.finders} --seed {seed}`: "
            f"PostgreSQL, own redis-server (AOF), the Procfile's web on two ports (gunicorn "
            f"{stack.env.get('WEB_CONCURRENCY', '2')}x{stack.env.get('WEB_THREADS', '4')} threads each), worker "
            f"twice (threads pool, concurrency {stack.env.get('CELERY_CONCURRENCY', '16')}, hostnames worker-a@ and "
            f"worker-b@), one beat with the shipped schedule, production's sweeper grace, lease and receipt "
            f"windows; fake Meta 100 ms with delivery receipts to both webs, fake Twilio; channels "
            f"meta_whatsapp, twilio_sms. Logs under {run_dir.relative_to(ROOT)}/.",
            "",
            f"**{figures.line()}**",
            "",
            "| figure | value |",
            "| --- | --- |",
            f"| scans | {figures.scans} from {args.finders} finder threads in {scanned - started:.1f} s; "
            f"{figures.pair_codes} codes scanned by two finders at the same instant, one on each web |",
            f"| accepted (302) | {figures.accepted}; refused: "
            + (", ".join(f"{k} × {v}" for k, v in figures.refused.items()) or "none")
            + " |",
            f"| alarms | {figures.alarms} (one per code); {figures.joined} reports joined their pair's alarm |",
            f"| recipients due (alarm, update, wave, recipient) | {figures.recipients_due}; "
            f"{figures.scheduled_later} more scheduled for later (a contact's delay, an update's interval) |",
            f"| provider requests accepted | {figures.provider_requests} ({figures.provider_refusals} refused and retried) |",
            f"| duplicates / lost | {len(figures.duplicates)} / {len(figures.lost)} |",
            "| per worker (sends logged; deliver tasks finished) | "
            + ", ".join(f"{w} {figures.per_worker[w]}; {figures.per_worker_tasks[w]}" for w in figures.per_worker)
            + " |",
            "| per web (scan POSTs answered 302 in its access log; accepted as the finders saw it) | "
            + ", ".join(f"{w} {figures.per_web_logged[w]}; {figures.per_web[w]}" for w in figures.per_web)
            + " |",
            f"| the kill | {kill_text} |",
            f"| drain | {'done' if drained else 'timed out'} {ended - scanned:.0f} s after the last scan |",
            "| attempts by status at the end | "
            + ", ".join(f"{k} {v}" for k, v in sorted(figures.attempts_by_status.items()))
            + " |",
            "",
        ]
    )
    if not figures.ok:
        text += "\nFound:\n\n" + "\n".join(f"- {x}" for x in figures.problems + figures.duplicates + figures.lost)
        text += "\n"
    report = Path(args.report)
    with report.open("a") as out:
        out.write(text + "\n")
    (run_dir / "report.md").write_text(text + "\n")
    print(text, flush=True)
    return 0 if figures.ok else 1
