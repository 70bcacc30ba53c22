"""Notifications: a sustained minute of alarms, then a backlog drained from cold.

Alarms are raised through alerts' own service (alarm_create, as the scan view does) at a fixed pace;
each INJURED alarm notifies five people at once (custodian and four contacts) on Meta WhatsApp. What
counts is what the fake provider receives: requests per minute, and the delay from alarm to request.
"""

from __future__ import annotations

import time

from alerts.models import NotificationAttempt, NotificationStatus
from alerts.services import alarm_create
from registry.models import QRCode
from tests.celery_worker import wait_for

from ..context import Context, Outcome
from ..stats import Table, Target, percentile

WINDOW_S = 60
SENDS_PER_MINUTE = 7_200  # offered: above the 6,000 target, so the figure shows the worker's capacity
BACKLOG_SENDS = 2_000
TARGET_PER_MINUTE = 6_000


def _raise(codes: list[QRCode]) -> None:
    for code in codes:
        alarm_create(
            qr_code=code,
            situation_type="INJURED",
            description="Fell off a bike, knee bleeding",
            location="Av. Álvaro Obregón 120",
            scanner_ip="127.0.0.1",
        )


def _lags(messages: dict[int, float], alarm_times: dict[int, float]) -> list[float]:
    alarm_of = dict(NotificationAttempt.objects.filter(message_id__in=messages).values_list("message_id", "alarm_id"))
    return [at - alarm_times[alarm_of[m]] for m, at in messages.items() if alarm_of.get(m) in alarm_times]


def run(ctx: Context) -> Outcome:
    meta = ctx.stack.meta
    per_alarm = 1 + ctx.config.contacts_per_subject
    alarms_per_s = SENDS_PER_MINUTE / 60 / per_alarm
    codes = list(
        QRCode.objects.select_related("subject__custodian__user").filter(pk__in=ctx.seeded.notify_codes).order_by("pk")
    )
    sustained_codes = codes[: round(alarms_per_s * WINDOW_S)]
    backlog_codes = codes[len(sustained_codes) : len(sustained_codes) + BACKLOG_SENDS // per_alarm]
    pool = ctx.config.worker_label

    # --- a sustained minute -------------------------------------------------------------------------
    alarm_times: dict[int, float] = {}
    with ctx.stack.worker() as worker:
        first = len(meta.requests)
        started = time.time()
        raised = 0
        for i, code in enumerate(sustained_codes):
            delay = started + i / alarms_per_s - time.time()
            if delay > 0:
                time.sleep(delay)
            if time.time() - started > WINDOW_S:
                break  # bounded in time as well as count: the raising side fell behind
            alarm = alarm_create(
                qr_code=code, situation_type="INJURED", description="Fell off a bike", scanner_ip="127.0.0.1"
            )
            alarm_times[alarm.pk] = time.time()
            raised += 1
        offered_s = time.time() - started
        expected = raised * per_alarm
        try:
            wait_for(lambda: len(ctx.stack.provider_messages(first)) >= expected, timeout=90, interval=0.5)
        except AssertionError:
            pass
        drained_at = time.time()
        arrivals = ctx.stack.provider_messages(first)
        retried = len(meta.requests) - first - len(arrivals)
        worker_errors = worker.output.count("Traceback")
    in_window = [at for at in arrivals.values() if at <= started + WINDOW_S]
    lags = _lags(arrivals, alarm_times)
    sustained = Table(
        f"Sustained notifications: {WINDOW_S} s of INJURED alarms, {per_alarm} recipients each (worker {pool})",
        [
            "offered/min",
            "received in the minute",
            "all received",
            "p50 lag s",
            "p95 lag s",
            "max lag s",
            "drained after s",
        ],
    )
    sustained.add(
        round(expected / offered_s * 60),
        len(in_window),
        f"{len(arrivals):,} of {expected:,}",
        percentile(lags, 50),
        percentile(lags, 95),
        max(lags, default=float("nan")),
        drained_at - started,
    )
    sustained.notes.append(
        "received in the minute: messages whose first request reached the fake within the 60 s while alarms were "
        "raised; lag: from alarm_create returning to that request reaching the provider. "
        f"Requests repeated by transient-error retries: {retried}."
    )
    if worker_errors:
        sustained.notes.append(f"the worker logged {worker_errors} tracebacks")

    # --- a backlog, drained by a worker started cold ---------------------------------------------------
    _raise(backlog_codes)  # no worker running: the sends wait in Redis
    queued = NotificationAttempt.objects.filter(
        alarm__qr_code__in=backlog_codes, status=NotificationStatus.PENDING
    ).count()
    first = len(meta.requests)
    launched = time.time()
    with ctx.stack.worker(purge=False):
        ready = time.time()
        try:
            wait_for(lambda: len(meta.requests) - first >= queued, timeout=180, interval=0.05)
            wait_for(lambda: len(ctx.stack.provider_messages(first)) >= queued, timeout=60, interval=0.5)
        except AssertionError:
            pass
        done = time.time()
        got = len(ctx.stack.provider_messages(first))
    backlog = Table(
        f"Backlog drain: {queued:,} pending sends, worker ({pool}) started after they were queued",
        ["pending", "sent", "from worker ready s", "from launch s", "sends/min"],
    )
    drain = done - ready
    backlog.add(queued, got, drain, done - launched, round(got / drain * 60) if drain else 0)

    per_minute = len(in_window)
    targets = [
        Target(
            "notifications sustained per minute",
            f">= {TARGET_PER_MINUTE:,}",
            f"{per_minute:,} (offered {round(expected / offered_s * 60):,})",
            per_minute >= TARGET_PER_MINUTE,
        )
    ]
    return Outcome(tables=[sustained, backlog], targets=targets)
