"""Repeat reports join the open alarm; deactivated codes tell their custodian; the finder may leave a number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alarm, InactiveCodeScan, NotificationAttempt, NotificationStatus, ScanEvent
from alerts.services import alarm_acknowledge, alarm_resolve, attempt_deliver
from alerts.services.maintenance import scanner_data_purge
from alerts.services.reports import inactive_scan_notify, inactive_scans_sweep
from messaging.models import Message
from registry.services import qr_code_deactivate

from ..factories import AlarmFactory

pytestmark = pytest.mark.django_db


def _post(client, code, **data):
    return client.post(f"/scan/{code.uuid}/", {"situation_type": "LOST", **data})


def _deliver_all() -> list[Message]:
    for pk in NotificationAttempt.objects.filter(
        status=NotificationStatus.PENDING, not_before__isnull=True
    ).values_list("pk", flat=True):
        attempt_deliver(attempt_id=pk)
    return list(Message.objects.order_by("pk"))


def test_a_repeat_report_joins_the_open_alarm_and_the_custodian_gets_the_new_location(client, alice_code, settings):
    settings.KERYU_SCAN_RENOTIFY_SECONDS = 0
    first = _post(client, alice_code, location="Parque México")
    [sent] = _deliver_all()
    assert "Parque México" in sent.content
    second = _post(client, alice_code, location="Metro Chilpancingo", description="Walking north")

    assert Alarm.objects.count() == 1  # joined, not a second alarm
    alarm = Alarm.objects.get()
    event = ScanEvent.objects.get()
    assert (event.alarm, event.location, alarm.report_count) == (alarm, "Metro Chilpancingo", 2)
    # The finder follows the same alarm's progress and is told their report was added to it.
    assert second.status_code == 302 and second.url.split("/sent/")[0] == first.url.split("/sent/")[0]
    page = client.get(second.url).content.decode()
    assert "yours was added to it" in page

    update = NotificationAttempt.objects.get(update_seq=1)
    assert (update.recipient_key, update.channel, update.not_before) == (f"custodian:{alarm.subject.custodian.pk}",
                                                                        "development", None)  # fmt: skip
    messages = _deliver_all()
    assert len(messages) == 2 and messages[1].kind == "UPDATE"
    assert "NUEVO REPORTE" in messages[1].content  # Alice reads Spanish
    assert "Metro Chilpancingo" in messages[1].content and "Walking north" in messages[1].content


def test_updates_go_at_most_once_per_interval_and_carry_the_latest_report(client, alice_code, settings):
    settings.KERYU_SCAN_RENOTIFY_SECONDS = 120
    _post(client, alice_code, location="A")
    _deliver_all()
    for place in ("B", "C", "D"):
        assert _post(client, alice_code, location=place).status_code == 302
    assert ScanEvent.objects.count() == 3
    # One update, scheduled for two minutes after the alarm; B, C and D did not each schedule one.
    update = NotificationAttempt.objects.get(update_seq__gt=0)
    alarm = Alarm.objects.get()
    assert update.update_seq == 1 and update.not_before == alarm.timestamp + timedelta(seconds=120)
    assert attempt_deliver(attempt_id=update.pk) is None  # not due yet
    NotificationAttempt.objects.filter(pk=update.pk).update(not_before=timezone.now())
    attempt_deliver(attempt_id=update.pk)
    message = Message.objects.get(kind="UPDATE")
    assert "D" in message.content.split("Ubicación:")[1].splitlines()[0]  # the latest report, read at send time


def test_a_more_serious_report_upgrades_the_open_alarm_and_is_never_hidden(client, alice_code):
    _post(client, alice_code, situation_type="CONTACT")
    _post(client, alice_code, situation_type="LOST")
    _post(client, alice_code, situation_type="INJURED", description="Fell off a bike")
    _post(client, alice_code, situation_type="LOST")
    # One emergency, one alarm: each more serious report upgraded it; the last LOST joined without a downgrade.
    alarm = Alarm.objects.get()
    assert (alarm.situation_type, alarm.report_count) == ("INJURED", 4)
    events = ScanEvent.objects.filter(alarm=alarm).order_by("timestamp", "pk")
    assert [e.situation_type for e in events] == ["LOST", "INJURED", "LOST"]  # every report is on the record
    assert events[1].description == "Fell off a bike"


def test_after_the_cooldown_or_once_resolved_a_report_raises_a_new_alarm(client, alice, alice_code, settings):
    old = AlarmFactory(
        qr_code=alice_code, timestamp=timezone.now() - timedelta(seconds=settings.KERYU_SCAN_COOLDOWN_SECONDS + 5)
    )
    _post(client, alice_code)
    assert Alarm.objects.count() == 2 and not ScanEvent.objects.exists()
    newest = Alarm.objects.exclude(pk=old.pk).get()
    alarm_resolve(alarm=newest, user=alice, notes="Home safe")
    _post(client, alice_code)
    assert Alarm.objects.count() == 3


def test_a_custodians_test_alarm_never_swallows_a_real_report(client, alice, alice_code):
    from alerts.services import alarm_test_create

    alarm_test_create(qr_code=alice_code, user=alice)
    _post(client, alice_code)
    assert Alarm.objects.filter(is_test=False).count() == 1 and not ScanEvent.objects.exists()


def test_acknowledging_keeps_location_updates_but_resolving_cancels_them(client, alice, alice_code, settings):
    settings.KERYU_SCAN_RENOTIFY_SECONDS = 600
    _post(client, alice_code)
    _post(client, alice_code, location="Later place")
    alarm = Alarm.objects.get()
    update = NotificationAttempt.objects.get(update_seq=1)
    alarm_acknowledge(alarm_id=alarm.pk, note="On my way")
    update.refresh_from_db()
    assert update.status == NotificationStatus.PENDING  # the family still wants to know where the subject is
    alarm_resolve(alarm=alarm, user=alice)
    update.refresh_from_db()
    assert update.status == NotificationStatus.CANCELLED


def test_the_finder_can_leave_a_name_and_share_their_phone_for_a_call_back(client, alice_code):
    response = _post(client, alice_code, finder_name="Ana", finder_phone="55 1234 5678", finder_phone_shared="on")
    assert response.status_code == 302
    alarm = Alarm.objects.get()
    assert (alarm.finder_name, alarm.finder_phone, alarm.finder_phone_shared) == ("Ana", "+525512345678", True)
    [message] = _deliver_all()
    assert "Ana +525512345678" in message.content


def test_a_phone_left_without_the_share_box_stays_masked_from_the_family(client, alice_code):
    """The number only carries Keryu's relay texts (alerts.services.relay): the family reads the name alone."""
    _post(client, alice_code, finder_name="Ana", finder_phone="55 1234 5678")
    alarm = Alarm.objects.get()
    assert (alarm.finder_phone, alarm.finder_phone_shared) == ("+525512345678", False)
    [message] = _deliver_all()
    assert "Ana" in message.content and "5512345678" not in message.content


def test_a_bad_finder_phone_is_refused_with_a_clear_error(client, alice_code):
    response = _post(client, alice_code, finder_phone="not a phone")
    assert response.status_code == 400 and not Alarm.objects.exists()
    html = response.content.decode()
    assert "Enter a valid phone number" in html and '<details class="finder" open>' in html


def test_finder_details_are_purged_with_the_scanner_data(client, alice_code, settings):
    _post(client, alice_code, finder_name="Ana", finder_phone="5512345678", latitude="19.4", longitude="-99.1")
    _post(client, alice_code, finder_name="Luis", finder_phone="5587654321")
    past = timezone.now() - timedelta(days=settings.KERYU_SCANNER_DATA_RETENTION_DAYS + 1)
    Alarm.objects.update(timestamp=past)
    ScanEvent.objects.update(timestamp=past)
    assert scanner_data_purge() == 2
    alarm, event = Alarm.objects.get(), ScanEvent.objects.get()
    assert (alarm.finder_name, alarm.finder_phone, alarm.latitude, alarm.scanner_ip) == ("", "", None, None)
    assert (event.finder_name, event.finder_phone, event.scanner_ip) == ("", "", None)


# --- Deactivated codes ---------------------------------------------------------------------------


def test_scanning_a_deactivated_code_is_logged_and_its_custodian_told_once_an_hour(client, alice, alice_code):
    qr_code_deactivate(qr_code=alice_code)
    unknown = client.get("/scan/00000000-0000-4000-8000-000000000000/")
    first = client.get(f"/scan/{alice_code.uuid}/", HTTP_USER_AGENT="Finder/1.0")
    assert first.status_code == unknown.status_code == 404 and first.content == unknown.content
    assert client.post(f"/scan/{alice_code.uuid}/", {"situation_type": "LOST"}).status_code == 404
    assert not Alarm.objects.exists()

    scans = list(InactiveCodeScan.objects.order_by("pk"))
    assert len(scans) == 2 and scans[0].scanner_user_agent == "Finder/1.0"
    assert [s.notify for s in scans] == [True, False]  # logged every time, the custodian told once
    assert inactive_scan_notify(scan_id=scans[0].pk) is True
    assert inactive_scan_notify(scan_id=scans[0].pk) is False  # claimed once
    message = Message.objects.get()
    assert (message.kind, message.owner, message.channel) == ("INACTIVE_SCAN", alice, "development")
    assert "CREDENCIAL DESACTIVADA" in message.content and "Sofía" in message.content


def test_a_lost_notice_task_is_queued_again_by_the_sweeper(client, alice_code):
    qr_code_deactivate(qr_code=alice_code)
    client.get(f"/scan/{alice_code.uuid}/")
    scan = InactiveCodeScan.objects.get()
    assert inactive_scans_sweep() == []  # too fresh: its own task may still be on its way
    InactiveCodeScan.objects.update(timestamp=timezone.now() - timedelta(minutes=5))
    assert inactive_scans_sweep() == [scan.pk]


def test_rate_limits_never_hold_back_a_more_serious_report(client, alice_code, settings):
    settings.KERYU_SCAN_POST_RATE_PER_CODE = "1/600"
    assert _post(client, alice_code).status_code == 302  # the first report: never limited
    assert _post(client, alice_code).status_code == 302  # one repeat allowed
    assert _post(client, alice_code).status_code == 429
    injured = _post(client, alice_code, situation_type="INJURED", description="Now bleeding")
    assert injured.status_code == 302
    assert Alarm.objects.filter(situation_type="INJURED").count() == 1


def test_staff_see_the_deactivated_scans_log_in_ops(client, staff, alice_code):
    qr_code_deactivate(qr_code=alice_code)
    client.get(f"/scan/{alice_code.uuid}/")
    client.force_login(staff)
    page = client.get("/ops/alerts/inactivecodescan/")
    assert page.status_code == 200 and alice_code.short_code in page.content.decode()
