"""Delivery with real worker processes: concurrency, killed children, a killed worker, a failing provider.

The worker sends through the real Meta WhatsApp adapter to the local Meta fake (testkit/fakes/meta.py), which
can be told to hang or to answer with errors; the development channel is the fallback. The worker reaches the
fake through its test settings module (testkit.fakes.worker_settings). Leases, grace and backoff are
shortened through the worker's environment so the tests stay fast; the measured times are printed (run
with -s to see them).
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from alerts.models import NotificationAttempt, NotificationStatus
from alerts.services import alarm_create
from alerts.tasks import deliver_attempt
from messaging.services import channel_order_set, meta_template_status_update
from testkit.celery_worker import running_worker, wait_for
from testkit.fakes.worker_env import worker_env
from testkit.procs import children_of, fast_sweeper, kill_hard, running_beat

from ..factories import QRCodeFactory, SubjectFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SENT_OR_BETTER = [NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.READ]
# Longer than any test waits for the kill: the worker is still waiting for Meta's answer when it dies.
HANG_SECONDS = 20


@pytest.fixture
def provider(fake_meta):
    """Meta first, the development channel next; the shipped WhatsApp templates approved."""
    channel_order_set(keys=["meta_whatsapp", "development"])
    for language in ("es_MX", "en_US"):
        meta_template_status_update(name="qr_template_on_m", language_code=language, status="APPROVED")
    return fake_meta


def _env(settings, **extra: str) -> dict[str, str]:
    return worker_env(settings) | {
        "MESSAGING_READ_TIMEOUT": str(HANG_SECONDS + 10),
        "KERYU_PROCESSING_LEASE_SECONDS": "3",
        "KERYU_SWEEP_GRACE_SECONDS": "2",
        "KERYU_RETRY_BASE_DELAY": "0.3",
        **extra,
    }


def _sent(attempt_id: int) -> bool:
    return NotificationAttempt.objects.filter(pk=attempt_id, status__in=SENT_OR_BETTER).exists()


def _calls_for(fake, message_id: int | None) -> int:
    """Requests Meta got for this message (our id rides in biz_opaque_callback_data)."""
    return sum(1 for r in fake.requests if r.json.get("biz_opaque_callback_data") == str(message_id))


def _message_id(attempt_id: int) -> int:
    return NotificationAttempt.objects.values_list("message_id", flat=True).get(pk=attempt_id)


def test_ten_concurrent_executions_of_one_attempt_make_exactly_one_provider_call(alice_code, provider, settings):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    attempt = alarm.attempts.get()
    with running_worker(pool="threads", concurrency=10, env=_env(settings)) as worker:  # purges the first task
        # Ten executions with one ETA: the worker holds all ten and starts them together on ten threads.
        eta = datetime.now(UTC) + timedelta(seconds=2)
        for _ in range(10):
            deliver_attempt.apply_async(args=[attempt.pk], eta=eta)
        try:
            wait_for(lambda: _sent(attempt.pk), timeout=30)
            wait_for(lambda: worker.output.count("succeeded in") >= 10, timeout=15)
        except AssertionError:
            raise AssertionError("not sent; worker said:\n" + worker.output) from None
    assert len(provider.requests) == 1
    assert _calls_for(provider, _message_id(attempt.pk)) == 1


def test_worker_child_killed_mid_send_never_sends_twice_and_the_next_channel_reaches_them(
    alice_code, provider, settings
):
    # Killed while Meta holds the request, after the dispatch marker: Meta may have the message. Not re-sent
    # on that channel; once no receipt comes within the window, the next channel reaches the recipient. Killed
    # before the marker, the row goes back to PENDING on the same channel (tests/alerts/test_sweeper.py).
    fast_sweeper()
    provider.hang_next(HANG_SECONDS)
    env = _env(settings, KERYU_UNCERTAIN_RECEIPT_SECONDS="2")
    with running_worker(concurrency=1, env=env) as worker, running_beat(env):
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        attempt = alarm.attempts.get()
        wait_for(lambda: provider.requests, timeout=20)
        (child,) = children_of(worker.proc.pid)  # concurrency=1: the one pool child, waiting for Meta
        os.kill(child, signal.SIGKILL)
        killed_at = time.monotonic()
        try:
            wait_for(
                lambda: alarm.attempts.filter(channel="development", status__in=SENT_OR_BETTER).exists(), timeout=30
            )
        except AssertionError:
            raise AssertionError("not reached; worker said:\n" + worker.output) from None
        elapsed = time.monotonic() - killed_at
    print(f"\nMEASURED child SIGKILL mid-send -> next channel sent: {elapsed:.1f} s (receipt window 2 s)")
    assert len(provider.requests) == 1
    assert NotificationAttempt.objects.get(pk=attempt.pk).status == NotificationStatus.UNCONFIRMED


def test_whole_worker_killed_and_restarted_reaches_every_in_flight_alarm_once(alice_code, provider, settings):
    fast_sweeper()
    provider.hang_next(HANG_SECONDS)
    provider.hang_next(HANG_SECONDS)  # both pool children are inside a Meta call when the worker dies
    env = _env(settings, KERYU_UNCERTAIN_RECEIPT_SECONDS="2")
    with running_beat(env):
        with running_worker(concurrency=2, env=env) as worker:
            # One open alarm per code: four alarms need four codes.
            codes = [QRCodeFactory(subject=SubjectFactory(custodian=alice_code.subject.custodian)) for _ in range(4)]
            alarms = [alarm_create(qr_code=code, situation_type="LOST") for code in codes]
            wait_for(lambda: len(provider.requests) >= 2, timeout=20)
            kill_hard(worker)
        with running_worker(concurrency=2, env=env) as worker:
            restarted_at = time.monotonic()
            try:
                wait_for(lambda: all(_reached(a) for a in alarms), timeout=60)
            except AssertionError:
                raise AssertionError("not all reached; worker said:\n" + worker.output) from None
            elapsed = time.monotonic() - restarted_at
    print(f"\nMEASURED worker SIGKILL + restart -> all {len(alarms)} reached: {elapsed:.1f} s after restart")
    for alarm in alarms:
        primary = alarm.attempts.get(channel="meta_whatsapp")
        assert _calls_for(provider, primary.message_id) <= 1
        # Killed mid-send (uncertain): reached on the next channel instead; otherwise sent on the first.
        assert alarm.attempts.filter(status__in=SENT_OR_BETTER).count() == 1


def _reached(alarm) -> bool:
    return alarm.attempts.filter(status__in=SENT_OR_BETTER).exists()


def test_primary_provider_returning_500s_falls_back_to_the_next_channel(alice_code, provider, settings):
    for _ in range(10):  # more than the retry budget: a fifth call would be answered with an error too
        provider.fail_next(131000, status=500, message="Something went wrong")
    with running_worker(concurrency=2, env=_env(settings)) as worker:
        started = time.monotonic()
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        try:
            fallback = wait_for(
                lambda: alarm.attempts.filter(channel="development", status__in=SENT_OR_BETTER).first(), timeout=30
            )
        except AssertionError:
            raise AssertionError("no fallback; worker said:\n" + worker.output) from None
        elapsed = time.monotonic() - started
    print(f"\nMEASURED primary 500s -> fallback sent: {elapsed:.1f} s")
    primary = alarm.attempts.get(channel="meta_whatsapp")
    assert primary.status == NotificationStatus.FAILED
    assert len(provider.requests) == 4  # the first call and three retries
    assert fallback.message.to == str(alice_code.subject.custodian.phone_number)


def test_a_permanent_provider_error_makes_exactly_one_call_then_falls_back(alice_code, provider, settings):
    provider.fail_next(131026, message="Message undeliverable")
    with running_worker(concurrency=2, env=_env(settings)):
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        wait_for(lambda: alarm.attempts.filter(channel="development", status__in=SENT_OR_BETTER).exists(), timeout=30)
    assert len(provider.requests) == 1
    assert alarm.attempts.get(channel="meta_whatsapp").status == NotificationStatus.FAILED
