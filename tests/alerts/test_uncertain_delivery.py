"""Sent once per channel, even when the answer is lost: real workers, beat, the Meta and Twilio fakes.

Meta is the primary channel and Twilio SMS the next. The fakes take the request and then lose the answer
(accept then drop), answer late, or the worker dies or loses its database connection mid-send. Whatever
happens, Meta gets one request per recipient; a recipient whose send is uncertain is reached on SMS once
the receipt window (KERYU_UNCERTAIN_RECEIPT_SECONDS, shortened here) passes without a receipt, and a
receipt that does arrive closes the attempt whatever state it is in. Figures print with -s.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import connection

from alerts.models import Alarm, NotificationAttempt, NotificationStatus
from alerts.services import alarm_create
from messaging.services import channel_order_set, meta_template_status_update
from testkit.celery_worker import running_worker, wait_for
from testkit.fakes.base import Reply
from testkit.fakes.worker_env import worker_env
from testkit.procs import fast_sweeper, kill_hard, running_beat

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SENT_OR_BETTER = [NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.READ]
META_OK = {"messaging_product": "whatsapp", "contacts": [], "messages": [{"id": "wamid.SLOW0001"}]}


@pytest.fixture
def meta_then_sms(fake_meta, fake_twilio):
    channel_order_set(keys=["meta_whatsapp", "twilio_sms"])
    for language in ("es_MX", "en_US"):
        meta_template_status_update(name="qr_template_on_m", language_code=language, status="APPROVED")
    return fake_meta, fake_twilio


def _env(settings, **extra: str) -> dict[str, str]:
    return worker_env(settings) | {"KERYU_SWEEP_GRACE_SECONDS": "2", "MESSAGING_READ_TIMEOUT": "10", **extra}


def _reached_on(alarm: Alarm, channel: str) -> set[str]:
    return set(
        alarm.attempts.filter(channel=channel, status__in=SENT_OR_BETTER).values_list("recipient_key", flat=True)
    )


def _status(attempt: NotificationAttempt) -> str:
    return NotificationAttempt.objects.values_list("status", flat=True).get(pk=attempt.pk)


def _sweeps_done(worker) -> int:
    return sum(1 for line in worker.lines if "alerts.sweep[" in line and "succeeded" in line)


def _post_meta_receipt(client, fake_meta, payload: dict) -> None:
    body, headers = fake_meta.signed(payload)
    response = client.post(
        "/webhooks/whatsapp/",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"],
    )
    assert response.status_code == 200


def test_meta_accepting_then_dropping_sends_once_per_recipient_and_sms_reaches_everyone(
    alice_code, contacts, meta_then_sms, settings
):
    meta, twilio = meta_then_sms
    meta.accept_then_drop = True
    fast_sweeper()
    env = _env(settings, KERYU_UNCERTAIN_RECEIPT_SECONDS="5")
    with running_beat(env), running_worker(concurrency=2, env=env) as worker:
        alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")  # custodian, contacts, doctor at once
        keys = set(alarm.attempts.values_list("recipient_key", flat=True))
        try:
            # Settled: everyone reached by SMS, or Meta was asked more than once for someone (the defect).
            wait_for(lambda: _reached_on(alarm, "twilio_sms") >= keys or len(meta.requests) > len(keys), timeout=60)
            wait_for(lambda: _reached_on(alarm, "twilio_sms") >= keys, timeout=60)
        except AssertionError:
            raise AssertionError("not everyone reached by SMS; worker said:\n" + worker.output) from None
    per_recipient = Counter(request.json["to"] for request in meta.requests)
    sms = alarm.attempts.filter(channel="twilio_sms")
    slowest = max((a.sent_at - alarm.timestamp).total_seconds() for a in sms)
    print(
        f"\nMEASURED accept-then-drop: recipients={len(keys)} meta_requests={len(meta.requests)} "
        f"(per recipient {sorted(per_recipient.values())}) sms_requests={len(twilio.requests)} "
        f"alarm->last SMS sent {slowest:.1f} s (receipt window 5 s)"
    )
    assert len(per_recipient) == len(keys) and set(per_recipient.values()) == {1}
    assert len(twilio.requests) == len(keys)
    assert set(alarm.attempts.filter(channel="meta_whatsapp").values_list("status", flat=True)) == {
        NotificationStatus.UNCONFIRMED
    }


def test_a_receipt_for_an_uncertain_send_closes_it_as_delivered_and_nothing_else_is_sent(
    client, alice_code, meta_then_sms, settings
):
    meta, twilio = meta_then_sms
    meta.accept_then_drop = True
    fast_sweeper()
    env = _env(settings, KERYU_UNCERTAIN_RECEIPT_SECONDS="4")
    with running_beat(env), running_worker(concurrency=1, env=env) as worker:
        attempt = alarm_create(qr_code=alice_code, situation_type="LOST").attempts.get()
        try:
            wait_for(lambda: meta.accepted and _status(attempt) != NotificationStatus.PROCESSING, timeout=20)
        except AssertionError:
            raise AssertionError("the send never settled; worker said:\n" + worker.output) from None
        request, body = meta.accepted[0]
        _post_meta_receipt(client, meta, meta.receipt(request, body, "delivered"))
        assert _status(attempt) == NotificationStatus.DELIVERED
        # Let the receipt window pass and the sweeper run a few more times: nothing may be sent again.
        seen = _sweeps_done(worker)
        time.sleep(4)
        wait_for(lambda: _sweeps_done(worker) >= seen + 3, timeout=30)
    assert len(meta.requests) == 1 and twilio.requests == []
    assert _status(attempt) == NotificationStatus.DELIVERED


def test_a_late_receipt_for_an_attempt_back_at_pending_closes_it_and_stops_the_retry(
    client, alice_code, meta_then_sms, settings
):
    meta, twilio = meta_then_sms
    meta.fail_next(131000, status=500, message="Something went wrong")  # transient: the attempt goes back to PENDING
    env = _env(settings, KERYU_RETRY_BASE_DELAY="4")
    with running_worker(concurrency=1, env=env) as worker:
        attempt = alarm_create(qr_code=alice_code, situation_type="LOST").attempts.get()
        try:
            wait_for(lambda: " retry: " in worker.output, timeout=20)
        except AssertionError:
            raise AssertionError("no retry scheduled; worker said:\n" + worker.output) from None
        assert _status(attempt) == NotificationStatus.PENDING
        # Meta delivered it after all; its receipt carries our id (biz_opaque_callback_data).
        sent = meta.requests[0].json
        payload = meta.status_payload(
            "wamid.LATE0001", "delivered", to=sent["to"], biz_opaque=sent["biz_opaque_callback_data"]
        )
        _post_meta_receipt(client, meta, payload)
        try:
            wait_for(lambda: "succeeded in" in worker.output, timeout=20)  # the retry ran
        except AssertionError:
            raise AssertionError("the retry never ran; worker said:\n" + worker.output) from None
    assert len(meta.requests) == 1 and twilio.requests == []
    assert _status(attempt) == NotificationStatus.DELIVERED


def test_a_worker_killed_after_the_provider_call_never_sends_again_on_that_channel(alice_code, meta_then_sms, settings):
    meta, twilio = meta_then_sms
    meta.script.append(Reply(200, META_OK, delay=20))  # Meta has the request; the worker dies waiting for the answer
    fast_sweeper()
    env = _env(settings, KERYU_PROCESSING_LEASE_SECONDS="3", KERYU_UNCERTAIN_RECEIPT_SECONDS="3")
    with running_beat(env):
        with running_worker(concurrency=1, env=env) as worker:
            alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
            wait_for(lambda: meta.requests, timeout=20)
            kill_hard(worker)
        with running_worker(concurrency=1, env=env) as worker:
            try:
                wait_for(lambda: _reached_on(alarm, "twilio_sms") or len(meta.requests) > 1, timeout=60)
            except AssertionError:
                raise AssertionError("not reached; worker said:\n" + worker.output) from None
    assert len(meta.requests) == 1
    assert _reached_on(alarm, "twilio_sms") and len(twilio.requests) == 1


def test_a_worker_whose_database_connection_drops_mid_send_finishes_within_seconds(alice_code, meta_then_sms, settings):
    meta, twilio = meta_then_sms
    meta.script.append(Reply(200, META_OK, delay=3))  # time to cut the worker's database connection meanwhile
    env = _env(settings)  # the default 90 s lease: only the worker's own retry can finish in time
    with running_worker(concurrency=1, env=env) as worker:
        attempt = alarm_create(qr_code=alice_code, situation_type="LOST").attempts.get()
        wait_for(lambda: meta.requests, timeout=20)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        cut_at = time.monotonic()
        try:
            wait_for(lambda: _status(attempt) in SENT_OR_BETTER, timeout=20)
        except AssertionError:
            raise AssertionError(f"still {_status(attempt)}; worker said:\n" + worker.output) from None
        print(f"\nMEASURED database connection cut mid-send -> attempt SENT: {time.monotonic() - cut_at:.1f} s")
    assert len(meta.requests) == 1 and twilio.requests == []
