"""One emergency is one alarm: the database allows one open alarm per code, and reports racing the first join it.

Real concurrency on PostgreSQL: each thread posts the scan form with its own client and its own database
connection, all released together by a barrier.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections
from django.test import Client
from django.utils import timezone

from alerts.models import Alarm, NotificationAttempt, NotificationStatus, RecipientKind, ScanEvent
from alerts.selectors import alarm_timeline
from alerts.services import alarm_create, attempt_deliver
from messaging.models import Message
from testkit.celery_worker import running_worker, wait_for

from ..factories import QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _repeat_reports_not_limited(settings):
    """These tests count what a burst of reports does to the alarm; the rate limits are tested elsewhere."""
    settings.KERYU_SCAN_POST_RATE_PER_IP = settings.KERYU_SCAN_POST_RATE_PER_CODE = "10000/600"
    cache.clear()
    yield
    cache.clear()


def _post(code, situation: str = "LOST", **data) -> int:
    response = Client().post(f"/scan/{code.uuid}/", {"situation_type": situation, **data})
    return response.status_code


def _together(n: int, fn: Callable[[int], object]) -> list[object]:
    """Run fn(0..n-1) in n threads released at the same moment; each thread uses its own connection."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as exc:  # reported below, after every thread has finished
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def _first_messages_per_recipient_and_channel(alarm: Alarm) -> Counter:
    return Counter(alarm.attempts.filter(update_seq=0).values_list("recipient_key", "channel"))


@pytest.mark.worker
def test_fifty_concurrent_first_reports_raise_one_alarm_and_one_message_per_recipient_and_channel(alice_code, contacts):
    with running_worker(pool="threads", concurrency=4):
        statuses = _together(50, lambda i: _post(alice_code, location=f"Corner {i}"))
        assert statuses == [302] * 50
        assert Alarm.objects.count() == 1
        alarm = Alarm.objects.get()
        assert ScanEvent.objects.filter(alarm=alarm).count() == 49 and alarm.report_count == 50
        per_recipient = _first_messages_per_recipient_and_channel(alarm)
        custodian = f"custodian:{alice_code.subject.custodian.pk}"
        assert set(k for k, _ in per_recipient) == {custodian, *(f"contact:{c.pk}" for c in contacts)}
        assert set(per_recipient.values()) == {1}
        # The worker really sends: the custodian (the only one due now under LOST) gets one alarm message.
        wait_for(
            lambda: (
                not alarm.attempts.filter(
                    update_seq=0, not_before__isnull=True, status__in=[NotificationStatus.PENDING, "PROCESSING"]
                ).exists()
            ),
            timeout=60,
        )
    assert Message.objects.filter(kind="LOST").count() == 1
    assert NotificationAttempt.objects.filter(update_seq__gt=0).values("update_seq").distinct().count() <= 1


def test_two_reports_fifty_milliseconds_apart_raise_one_alarm(alice):
    """Twenty codes, two reports each, the second 50 ms after the first (the defect raised two alarms half the time)."""
    codes = [QRCodeFactory(subject=SubjectFactory(custodian=alice.custodian), is_active=True) for _ in range(20)]
    for code in codes:
        _together(2, lambda i, code=code: (time.sleep(0.05 * i), _post(code))[1])
    per_code = Counter(Alarm.objects.values_list("qr_code_id", flat=True))
    assert per_code == {code.pk: 1 for code in codes}
    assert ScanEvent.objects.count() == 20


def test_the_database_refuses_a_second_open_alarm_for_a_code(alice_code):
    from ..factories import AlarmFactory

    first = AlarmFactory(qr_code=alice_code)
    with pytest.raises(IntegrityError):
        Alarm.objects.create(subject=alice_code.subject, qr_code=alice_code, situation_type="LOST")
    # Raising one directly (the API does) is refused with a ValidationError the API answers 400 with, not a 500.
    with pytest.raises(ValidationError, match="already has an open alarm"):
        alarm_create(qr_code=alice_code, situation_type="INJURED")
    # A test alarm never takes reports, and a resolved one is closed: neither counts.
    Alarm.objects.create(subject=alice_code.subject, qr_code=alice_code, situation_type="TEST", is_test=True)
    Alarm.objects.filter(pk=first.pk).update(resolved_at=first.timestamp)
    Alarm.objects.create(subject=alice_code.subject, qr_code=alice_code, situation_type="LOST")


def test_lost_then_injured_upgrades_the_one_alarm_and_reaches_contacts_and_doctor_at_once(alice_code, contacts):
    assert _post(alice_code, "LOST", location="Parque México") == 302
    assert _post(alice_code, "INJURED", description="Fell off a bike", location="Metro Chilpancingo") == 302

    alarm = Alarm.objects.get()
    assert alarm.situation_type == "INJURED" and alarm.report_count == 2
    first = alarm.attempts.filter(update_seq=0)
    # The INJURED policy: every contact and the doctor at once, nobody twice.
    assert set(first.filter(not_before__isnull=True).values_list("recipient_kind", flat=True)) == {
        RecipientKind.CUSTODIAN,
        RecipientKind.CONTACT,
        RecipientKind.DOCTOR,
    }
    assert first.filter(recipient_kind=RecipientKind.CONTACT, not_before__isnull=True).count() == 2
    assert set(_first_messages_per_recipient_and_channel(alarm).values()) == {1}
    # The custodian hears in the same thread that it is now INJURED: an update, due now.
    [update] = alarm.attempts.filter(update_seq__gt=0)
    assert update.recipient_kind == RecipientKind.CUSTODIAN and update.not_before is None
    # The timeline shows both reports.
    texts = [e.text for e in alarm_timeline(alarm=alarm)]
    assert "Scan: Subject lost" in texts  # the first report, as it was
    assert "Further report (Scan page): Subject injured at Metro Chilpancingo" in texts

    for pk in alarm.attempts.filter(not_before__isnull=True).values_list("pk", flat=True):
        attempt_deliver(attempt_id=pk)
    kinds = Counter(Message.objects.values_list("kind", flat=True))
    assert kinds == Counter(
        INJURED=4, UPDATE=1
    )  # nothing was sent before the upgrade: every first message says INJURED
    assert "Subject injured" in Message.objects.get(kind="UPDATE").content


def test_concurrent_more_serious_reports_upgrade_once(alice_code, contacts):
    assert _post(alice_code, "LOST") == 302
    custodian_first = NotificationAttempt.objects.get(recipient_kind=RecipientKind.CUSTODIAN)
    attempt_deliver(attempt_id=custodian_first.pk)
    statuses = _together(10, lambda i: _post(alice_code, "INJURED", description=f"report {i}"))
    assert statuses == [302] * 10
    alarm = Alarm.objects.get()
    assert alarm.situation_type == "INJURED" and ScanEvent.objects.count() == 10
    assert set(_first_messages_per_recipient_and_channel(alarm).values()) == {1}
    assert alarm.attempts.filter(recipient_kind=RecipientKind.DOCTOR).count() == 1
    # One update to the custodian sent at once for the upgrade; later reports wait for the interval.
    assert alarm.attempts.filter(update_seq__gt=0, not_before__isnull=True).count() == 1


def test_a_report_past_the_cooldown_starts_a_new_alarm_and_closes_grouping_on_the_old_one(alice_code, settings):
    assert _post(alice_code) == 302
    old = Alarm.objects.get()
    Alarm.objects.filter(pk=old.pk).update(
        timestamp=old.timestamp - timedelta(seconds=settings.KERYU_SCAN_COOLDOWN_SECONDS + 5)
    )
    _together(5, lambda i: _post(alice_code))
    new = Alarm.objects.exclude(pk=old.pk).get()  # five racing reports: one new alarm, four joined it
    assert ScanEvent.objects.filter(alarm=new).count() == 4 and not ScanEvent.objects.filter(alarm=old).exists()
    old.refresh_from_db()
    assert old.resolved_at is None  # still the family's to resolve; it only stopped taking reports


def test_the_migration_keeps_duplicate_open_alarms_and_lets_only_the_newest_take_reports(alice_code):
    """Codes that already have several open alarms (raised by the old race) must not break the migration."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("alerts", "0004_alarm_protects_subject_attempt_outlives_custodian")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_alarm = executor.loader.project_state(before).apps.get_model("alerts", "Alarm")
    now = timezone.now()
    rows = [
        old_alarm.objects.create(
            subject_id=alice_code.subject_id, qr_code_id=alice_code.pk, timestamp=now - timedelta(minutes=m)
        )
        for m in (3, 1, 2)
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # every app: a rollback may have taken dependants down

    assert Alarm.objects.filter(resolved_at__isnull=True).count() == 3  # history kept, nothing resolved for the family
    assert list(Alarm.objects.filter(grouping_closed_at__isnull=True).values_list("pk", flat=True)) == [rows[1].pk]
    with pytest.raises(IntegrityError):
        Alarm.objects.create(subject=alice_code.subject, qr_code=alice_code, situation_type="LOST")
