"""Alarm sends run on their own `alarms` queue, INJURED first, ahead of updates, test alarms, drills and
housekeeping on `default` (issue 15, item 6): the router, where each publish lands in Redis, and a real worker
taking a queued backlog in that order."""

from __future__ import annotations

import json

import pytest
import redis

from alerts.models import Alarm, InactiveCodeScan, NotificationAttempt, NotificationStatus
from alerts.services import alarm_create, attempt_enqueue
from alerts.services.delivery import attempt_for_recipient
from alerts.services.reports import inactive_scan_enqueue, inactive_scan_record
from keryu_site.celery import app as celery_app
from testkit.celery_worker import purge_queue, running_worker, wait_for
from testkit.procfile import procfile_command

from .factories import QRCodeFactory, SubjectFactory

ALARM_WORK = ("alerts.deliver_attempt", "alerts.escalate", "alerts.sweep")
DEFAULT_WORK = (
    "alerts.cleanup",
    "alerts.purge_scanner_data",
    "alerts.reachability_drill",
    "alerts.reachability_flag",
    "alerts.retry_failed",
    "alerts.notify_inactive_scan",
    # Notices to the others and the finder, and the finder-family relay: never ahead of an alarm's own sends.
    "alerts.send_notice",
    "alerts.send_relay",
    "alerts.beat_heartbeat",
    "alerts.watchdog",
    "accounts.registrations_purge_abandoned",
)
redis_broker = pytest.mark.skipif(
    not celery_app.conf.broker_url.startswith("redis"), reason="queues and priorities as Redis keeps them"
)


def _route(name: str) -> tuple[str, int]:
    route = celery_app.amqp.router.route({}, name)
    return route["queue"].name, route["priority"]


def test_the_router_puts_alarm_work_on_alarms_and_everything_else_on_default():
    assert {name: _route(name) for name in ALARM_WORK} == {name: ("alarms", 3) for name in ALARM_WORK}
    assert {name: _route(name) for name in DEFAULT_WORK} == {name: ("default", 6) for name in DEFAULT_WORK}


def test_the_worker_consumes_both_queues_alarms_first():
    command = procfile_command("worker", {})
    assert command[command.index("--queues") + 1] == "alarms,default"
    assert [q.name for q in celery_app.amqp.queues.values()] == ["alarms", "default"]
    assert celery_app.conf.broker_transport_options.get("queue_order_strategy") == "priority"


def _queued() -> dict[tuple[str, int], list[tuple[str, str]]]:
    """What waits in Redis: (queue, priority step) -> [(task, argsrepr)], read from the broker's own lists."""
    client = redis.Redis.from_url(celery_app.conf.broker_url)
    prefix = celery_app.conf.broker_transport_options.get("global_keyprefix", "")  # one per xdist process (bin/test)
    found: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for queue in ("alarms", "default"):
        for key in client.keys(f"{prefix}{queue}*"):
            name, _, step = key.decode().removeprefix(prefix).partition("\x06\x16")
            if name != queue:
                continue
            for raw in reversed(client.lrange(key, 0, -1)):  # LPUSH: oldest last
                headers = json.loads(raw)["headers"]
                found.setdefault((queue, int(step or 0)), []).append((headers["task"], headers["argsrepr"]))
    return found


@redis_broker
@pytest.mark.django_db
def test_each_publish_lands_on_its_queue_at_its_priority(alice_code, alice_subject):
    """deliver_attempt.apply_async through the app's router, as attempt_enqueue publishes it."""
    injured = alarm_create(qr_code=alice_code, situation_type="INJURED").attempts.get()
    lost_code = QRCodeFactory(subject=SubjectFactory(custodian=alice_subject.custodian))
    lost = alarm_create(qr_code=lost_code, situation_type="LOST").attempts.get()
    update = attempt_for_recipient(lost, channel="development", wave=0, update_seq=1)
    test = alarm_create(qr_code=alice_code, situation_type="TEST").attempts.get()
    scan = inactive_scan_record(qr_code=QRCodeFactory(subject=alice_subject, is_active=False))
    purge_queue()  # nothing else queued: what follows is exactly what these publishes put there
    try:
        for attempt in (lost, injured, update, test):
            assert attempt_enqueue(attempt_id=attempt.pk)
        assert inactive_scan_enqueue(scan_id=scan.pk)
        assert _queued() == {
            ("alarms", 0): [("alerts.deliver_attempt", f"[{injured.pk}]")],
            ("alarms", 3): [("alerts.deliver_attempt", f"[{lost.pk}]")],
            ("default", 6): [
                ("alerts.deliver_attempt", f"[{update.pk}]"),
                ("alerts.deliver_attempt", f"[{test.pk}]"),
                ("alerts.notify_inactive_scan", f"[{scan.pk}]"),
            ],
        }
    finally:
        purge_queue()


def _alarm(custodian, situation: str) -> Alarm:
    return alarm_create(qr_code=QRCodeFactory(subject=SubjectFactory(custodian=custodian)), situation_type=situation)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_alarms_queue_alone_sends_an_alarm_and_leaves_default_alone(alice, alice_subject):
    purge_queue()
    scan = inactive_scan_record(qr_code=QRCodeFactory(subject=alice_subject, is_active=False))
    with running_worker(pool="threads", concurrency=1, queues="alarms", purge=False) as worker:
        alarm = _alarm(alice.custodian, "LOST")
        try:
            wait_for(lambda: alarm.attempts.filter(status=NotificationStatus.SENT).exists(), timeout=60)
        except AssertionError:
            raise AssertionError("the alarm was not sent; worker said:\n" + worker.output) from None
        assert "alerts.deliver_attempt" in worker.output
    scan.refresh_from_db()
    assert scan.notified_at is None  # its notice waits on `default`, which this worker does not consume
    purge_queue()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_a_backlog_injured_sends_first_then_other_alarms_then_default(alice):
    """Queued while no worker ran, in the worst order: the housekeeping first, LOST sends, INJURED sends last.
    One worker thread then takes them one at a time; the order it took them in is when it claimed each."""
    purge_queue()
    custodian = alice.custodian
    scans = [
        inactive_scan_record(qr_code=QRCodeFactory(subject=SubjectFactory(custodian=custodian), is_active=False))
        for _ in range(6)
    ]
    lost = [_alarm(custodian, "LOST") for _ in range(3)]
    injured = [_alarm(custodian, "INJURED") for _ in range(3)]
    attempts = NotificationAttempt.objects.filter(alarm__in=[*lost, *injured])
    assert attempts.count() == 6 and not attempts.exclude(status=NotificationStatus.PENDING).exists()
    with running_worker(pool="threads", concurrency=1, purge=False) as worker:
        try:
            wait_for(lambda: attempts.filter(status=NotificationStatus.SENT).count() == 6, timeout=90)
            wait_for(lambda: InactiveCodeScan.objects.exclude(notified_channel="").count() == 6, timeout=90)
        except AssertionError:
            raise AssertionError("the backlog was not drained; worker said:\n" + worker.output) from None
    taken = sorted(
        [(a.claimed_at, a.alarm.situation_type) for a in attempts.select_related("alarm")]
        + [(s.notified_at, "default") for s in InactiveCodeScan.objects.filter(pk__in=[s.pk for s in scans])]
    )
    assert [kind for _, kind in taken] == ["INJURED"] * 3 + ["LOST"] * 3 + ["default"] * 6


def test_every_keryu_task_is_acknowledged_late_and_keeps_no_result():
    """Set once in settings (CELERY_TASK_ACKS_LATE, CELERY_TASK_IGNORE_RESULT, reject on worker lost), not per
    decorator: a task a worker dies in is redelivered, and nothing fills a result backend."""
    celery_app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"alerts", "accounts", "messaging"}
    }
    assert set(ALARM_WORK + DEFAULT_WORK) <= set(ours)
    assert {name: (t.acks_late, t.ignore_result, t.reject_on_worker_lost) for name, t in ours.items()} == {
        name: (True, True, True) for name in ours
    }
