"""Notifications: a sustained minute of sends, then a backlog drained by a worker started cold.

What is measured is the worker: the outbox rows (one NotificationAttempt per recipient, as alarm_create
writes them for an INJURED alarm reaching the custodian and four contacts on Meta WhatsApp) are written in
bulk beforehand, then queued with alerts' own attempt_enqueue at a fixed pace. Raising alarms is measured
by the scan sections. What counts is what the fake provider receives: messages per minute, and the delay
from queueing to the provider's request.
"""

from __future__ import annotations

import time

from django.utils import timezone

from alerts.models import Alarm, NotificationAttempt, RecipientKind, SituationType
from alerts.services import attempt_enqueue
from registry.models import EmergencyContact, QRCode
from testkit.celery_worker import purge_queue, wait_for

from ..context import Context, Outcome
from ..stats import Table, Target, percentile

WINDOW_S = 60
SENDS_PER_MINUTE = 7_200  # offered: above the 6,000 target, so the figure shows the worker's capacity
BACKLOG_SENDS = 2_000
TARGET_PER_MINUTE = 6_000
COST_SENDS = 51


def outbox(codes: list[QRCode]) -> list[int]:
    """One INJURED alarm per code and its pending attempts (custodian and every contact), in bulk."""
    now = timezone.now()
    alarms = Alarm.objects.bulk_create(
        [
            Alarm(
                subject_id=c.subject_id,
                qr_code=c,
                timestamp=now,
                situation_type=SituationType.INJURED,
                description="Fell off a bike, knee bleeding",
                location="Av. Álvaro Obregón 120",
            )
            for c in codes
        ]
    )
    contacts: dict[int, list[EmergencyContact]] = {}
    for contact in EmergencyContact.objects.filter(subject_id__in=[c.subject_id for c in codes]).order_by("sort_order"):
        contacts.setdefault(contact.subject_id, []).append(contact)
    rows = []
    for alarm, code in zip(alarms, codes, strict=True):
        custodian = code.subject.custodian
        rows.append(
            NotificationAttempt(
                alarm=alarm,
                custodian_id=custodian.pk,
                recipient_key=f"custodian:{custodian.pk}",
                recipient_kind=RecipientKind.CUSTODIAN,
                recipient_name=str(custodian),
                language=custodian.language,
                channel="meta_whatsapp",
            )
        )
        for contact in contacts.get(code.subject_id, []):
            rows.append(
                NotificationAttempt(
                    alarm=alarm,
                    contact_id=contact.pk,
                    recipient_key=f"contact:{contact.pk}",
                    recipient_kind=RecipientKind.CONTACT,
                    recipient_name=contact.name,
                    language=contact.language,
                    channel="meta_whatsapp",
                )
            )
    return [a.pk for a in NotificationAttempt.objects.bulk_create(rows, batch_size=2000)]


def cost_per_send(ctx: Context, attempt_ids: list[int]) -> Table:
    """CPU (this thread) and queries of attempt_deliver in this process, against the fake (another thread)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alerts.services import attempt_deliver

    attempt_deliver(attempt_id=attempt_ids[0])  # warm
    cpu, wall, queries = time.thread_time(), time.perf_counter(), 0
    for attempt_id in attempt_ids[1:]:
        with CaptureQueriesContext(connection) as captured:
            attempt_deliver(attempt_id=attempt_id)
        queries += len(captured.captured_queries)
    n = len(attempt_ids) - 1
    table = Table(
        "Cost of one send in one process (attempt_deliver, no worker; the fake answers in 100 ms)",
        ["sends", "CPU ms", "wall ms", "queries"],
    )
    table.add(n, (time.thread_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000, queries / n)
    table.notes.append(
        "One worker process runs Python on one core at a time (the GIL): 1,000 / CPU ms is its ceiling in sends/s."
    )
    return table


def _codes(ctx: Context, start: int, count: int) -> list[QRCode]:
    pks = ctx.seeded.notify_codes[start : start + count]
    return list(QRCode.objects.select_related("subject__custodian__user").filter(pk__in=pks).order_by("pk"))


def run(ctx: Context) -> Outcome:
    meta = ctx.stack.meta
    per_alarm = 1 + ctx.config.contacts_per_subject
    per_second = SENDS_PER_MINUTE / 60
    sustained_ids = outbox(_codes(ctx, 0, round(SENDS_PER_MINUTE * WINDOW_S / 60 / per_alarm)))
    backlog_ids = outbox(_codes(ctx, len(sustained_ids) // per_alarm, BACKLOG_SENDS // per_alarm))
    cost_ids = outbox(_codes(ctx, (len(sustained_ids) + len(backlog_ids)) // per_alarm, COST_SENDS // per_alarm))
    pool = ctx.config.worker_label

    # --- a sustained minute -------------------------------------------------------------------------
    queued_at: dict[int, float] = {}
    with ctx.stack.worker() as worker:
        first = len(meta.requests)
        started = time.time()
        for i, attempt_id in enumerate(sustained_ids):
            delay = started + i / per_second - time.time()
            if delay > 0:
                time.sleep(delay)
            if time.time() - started > WINDOW_S:
                break  # bounded in time as well as count, should queueing fall behind
            queued_at[attempt_id] = time.time()
            attempt_enqueue(attempt_id=attempt_id)
        offered_s = time.time() - started
        expected = len(queued_at)
        try:
            wait_for(lambda: len(ctx.stack.provider_messages(first)) >= expected, timeout=90, interval=0.5)
        except AssertionError:
            pass
        drained_at = time.time()
        arrivals = ctx.stack.provider_messages(first)
        retried = len(meta.requests) - first - len(arrivals)
        worker_errors = worker.output.count("Traceback")
    attempt_of = dict(NotificationAttempt.objects.filter(message_id__in=arrivals).values_list("message_id", "pk"))
    lags = [at - queued_at[attempt_of[m]] for m, at in arrivals.items() if attempt_of.get(m) in queued_at]
    in_window = [at for at in arrivals.values() if at <= started + WINDOW_S]
    offered = round(expected / offered_s * 60)
    sustained = Table(
        f"Sustained notifications for {WINDOW_S} s (worker {pool})",
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
        offered,
        len(in_window),
        f"{len(arrivals):,} of {expected:,}",
        percentile(lags, 50),
        percentile(lags, 95),
        max(lags, default=float("nan")),
        drained_at - started,
    )
    sustained.notes.append(
        "received in the minute: messages whose first request reached the fake within the 60 s of queueing; "
        f"lag: from queueing to that request. Requests repeated by transient-error retries: {retried}."
        + (f" The worker logged {worker_errors} tracebacks." if worker_errors else "")
    )

    # --- a backlog, drained by a worker started cold ---------------------------------------------------
    purge_queue()
    for attempt_id in backlog_ids:  # no worker running: the sends wait in Redis
        attempt_enqueue(attempt_id=attempt_id)
    first = len(meta.requests)
    launched = time.time()
    with ctx.stack.worker(purge=False):
        ready = time.time()
        try:
            wait_for(lambda: len(meta.requests) - first >= len(backlog_ids), timeout=180, interval=0.05)
            wait_for(lambda: len(ctx.stack.provider_messages(first)) >= len(backlog_ids), timeout=60, interval=0.5)
        except AssertionError:
            pass
        done = time.time()
        got = len(ctx.stack.provider_messages(first))
    backlog = Table(
        f"Backlog drain: {len(backlog_ids):,} queued sends, worker ({pool}) started after they were queued",
        ["queued", "sent", "from worker ready s", "from launch s", "sends/min"],
    )
    drain = done - ready
    backlog.add(len(backlog_ids), got, drain, done - launched, round(got / drain * 60) if drain else 0)

    per_minute = len(in_window)
    targets = [
        Target(
            "notifications sustained per minute",
            f">= {TARGET_PER_MINUTE:,}",
            f"{per_minute:,} (offered {offered:,})",
            per_minute >= TARGET_PER_MINUTE,
        )
    ]
    return Outcome(tables=[cost_per_send(ctx, cost_ids), sustained, backlog], targets=targets)
