"""The sweeper: stale PENDING and dead-worker PROCESSING rows go back to the queue, once, even with two sweepers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from alerts.models import NotificationAttempt, NotificationStatus
from alerts.services import alarm_create, attempts_sweep

from ..factories import QRCodeFactory, SubjectFactory


def _age(qs, seconds: int) -> None:
    qs.update(updated_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_pending_past_the_grace_period_and_processing_past_the_lease_are_requeued(alice_code, settings):
    settings.KERYU_SWEEP_GRACE_SECONDS, settings.KERYU_PROCESSING_LEASE_SECONDS = 10, 60
    custodian = alice_code.subject.custodian
    codes = [alice_code, *(QRCodeFactory(subject=SubjectFactory(custodian=custodian)) for _ in range(3))]
    _fresh, stale, dead, working = (alarm_create(qr_code=code, situation_type="LOST").attempts.get() for code in codes)
    _age(NotificationAttempt.objects.filter(pk=stale.pk), 11)
    NotificationAttempt.objects.filter(pk=dead.pk).update(
        status=NotificationStatus.PROCESSING, claimed_at=timezone.now() - timedelta(seconds=61)
    )
    NotificationAttempt.objects.filter(pk=working.pk).update(
        status=NotificationStatus.PROCESSING, claimed_at=timezone.now() - timedelta(seconds=5)
    )
    result = attempts_sweep()
    assert result.requeued == [stale.pk] and result.reclaimed == [dead.pk]
    assert NotificationAttempt.objects.get(pk=dead.pk).status == NotificationStatus.PENDING
    assert NotificationAttempt.objects.get(pk=working.pk).status == NotificationStatus.PROCESSING
    assert attempts_sweep().requeued == []  # the grace period starts again after a requeue


@pytest.mark.django_db
def test_scheduled_escalation_rows_are_not_swept_before_they_are_due(alice_code, contacts, settings):
    settings.KERYU_SWEEP_GRACE_SECONDS = 1
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    _age(alarm.attempts.all(), 30)
    assert attempts_sweep().requeued == [alarm.attempts.get(recipient_kind="custodian").pk]


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_requeue_each_row_once(alice, settings):
    settings.KERYU_SWEEP_GRACE_SECONDS = 1
    for _ in range(30):
        alarm_create(qr_code=QRCodeFactory(subject=SubjectFactory(custodian=alice.custodian)), situation_type="LOST")
    _age(NotificationAttempt.objects.all(), 30)
    results, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(attempts_sweep())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    requeued = results[0].requeued + results[1].requeued
    assert sorted(requeued) == sorted(NotificationAttempt.objects.values_list("pk", flat=True))
    assert len(set(requeued)) == 30


@pytest.mark.django_db
def test_a_lease_lost_after_the_dispatch_marker_is_uncertain_and_never_requeued(alice_code, recording, settings):
    # The receipt window counts from the request going out: longer than the lease here, so the row waits.
    settings.KERYU_PROCESSING_LEASE_SECONDS, settings.KERYU_UNCERTAIN_RECEIPT_SECONDS = 60, 120
    # One open alarm per code: two alarms need two codes.
    codes = [alice_code, QRCodeFactory(subject=SubjectFactory(custodian=alice_code.subject.custodian))]
    before, after = (alarm_create(qr_code=code, situation_type="LOST").attempts.get() for code in codes)
    claimed = timezone.now() - timedelta(seconds=61)
    for attempt in (before, after):
        NotificationAttempt.objects.filter(pk=attempt.pk).update(
            status=NotificationStatus.PROCESSING, claimed_at=claimed
        )
    # The worker died after writing its marker: the provider may have the message.
    NotificationAttempt.objects.filter(pk=after.pk).update(dispatched_at=claimed + timedelta(seconds=1))
    result = attempts_sweep()
    assert result.reclaimed == [before.pk] and result.settled == [after.pk]
    assert NotificationAttempt.objects.get(pk=before.pk).status == NotificationStatus.PENDING
    assert NotificationAttempt.objects.get(pk=after.pk).status == NotificationStatus.UNCERTAIN
    # A marker from an earlier claim (a retried attempt) says nothing about this one.
    NotificationAttempt.objects.filter(pk=before.pk).update(
        status=NotificationStatus.PROCESSING, claimed_at=claimed, dispatched_at=claimed - timedelta(seconds=30)
    )
    assert attempts_sweep().reclaimed == [before.pk]


@pytest.mark.django_db
def test_an_uncertain_send_without_a_receipt_moves_to_the_next_channel_once(alice_code, recording, settings):
    settings.KERYU_UNCERTAIN_RECEIPT_SECONDS = 45
    attempt = alarm_create(qr_code=alice_code, situation_type="LOST").attempts.get()
    NotificationAttempt.objects.filter(pk=attempt.pk).update(
        status=NotificationStatus.UNCERTAIN, dispatched_at=timezone.now() - timedelta(seconds=30)
    )
    assert attempts_sweep().moved_on == []  # still inside the receipt window
    NotificationAttempt.objects.filter(pk=attempt.pk).update(dispatched_at=timezone.now() - timedelta(seconds=46))
    assert attempts_sweep().moved_on == [attempt.pk]
    assert attempts_sweep().moved_on == []
    assert NotificationAttempt.objects.get(pk=attempt.pk).status == NotificationStatus.UNCONFIRMED
    channels = list(attempt.alarm.attempts.order_by("pk").values_list("channel", flat=True))
    assert channels == ["development", "recording"]
