"""The alarm admin: test button, retry, resolve, no generic edit, exports and statistics, each scoped."""

from __future__ import annotations

import csv
import io
import time

import pytest
from openpyxl import load_workbook

from alerts.models import Alarm, NotificationStatus, SituationType
from alerts.services import alarm_create

from ..factories import AlarmFactory, QRCodeFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_bobs_exports_never_contain_alices_alarms(client, alice_code, bob, bob_subject):
    AlarmFactory(qr_code=alice_code, location="Alice's park")
    AlarmFactory(qr_code=QRCodeFactory(subject=bob_subject), location="Bob's street")
    client.force_login(bob)
    rows = _csv(client.get("/admin/alerts/export/csv/"))
    assert [r[5] for r in rows[1:]] == ["Bob's street"]
    # Even naming Alice's subject in the filter gives nothing.
    assert len(_csv(client.get(f"/admin/alerts/export/csv/?subject={alice_code.subject.pk}"))) == 1
    xlsx = load_workbook(io.BytesIO(client.get("/admin/alerts/export/xlsx/").content))
    values = [c.value for row in xlsx.active.iter_rows() for c in row]
    assert "Bob's street" in values and "Alice's park" not in values and "Sofía Arroyo" not in values
    pdf = client.get("/admin/alerts/export/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    stats = client.get("/admin/alerts/statistics/")
    assert stats.status_code == 200 and "<svg" in stats.content.decode()


def test_exports_follow_the_list_filters(client, alice, alice_code):
    AlarmFactory(qr_code=alice_code, situation_type=SituationType.LOST, location="A")
    AlarmFactory(qr_code=alice_code, situation_type=SituationType.INJURED, location="B")
    client.force_login(alice)
    rows = _csv(client.get("/admin/alerts/export/csv/?situation_type=INJURED&resolved=false"))
    assert [r[5] for r in rows[1:]] == ["B"]


def test_staff_export_everything_and_free_text_cannot_inject_formulas(client, alice_code, staff):
    AlarmFactory(qr_code=alice_code, location="=HYPERLINK(1)")
    client.force_login(staff)
    rows = _csv(client.get("/admin/alerts/export/csv/"))
    assert rows[1][5] == "'=HYPERLINK(1)"


def test_a_hundred_thousand_alarms_stream_as_csv(client, alice_code, staff):
    _insert_alarms(subject_id=alice_code.subject_id, count=100_000)
    client.force_login(staff)
    started = time.monotonic()
    response = client.get("/admin/alerts/export/csv/")
    assert response.streaming
    assert sum(chunk.count(b"\n") for chunk in response.streaming_content) == 100_001  # header and rows
    print(f"\nMEASURED CSV export of 100,000 alarms: {time.monotonic() - started:.1f} s")


def test_test_alarm_button_is_scoped_and_goes_to_the_one_who_pressed_it(client, alice, alice_code, bob):
    url = f"/admin/alerts/test-alarm/{alice_code.pk}/"
    client.force_login(bob)
    assert client.post(url).status_code == 404
    assert not Alarm.objects.exists()
    client.force_login(alice)
    assert client.get(url).status_code == 405
    response = client.post(url)
    alarm = Alarm.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/inspect/{alarm.pk}/")
    assert alarm.is_test and alarm.triggered_by == alice
    assert alarm.attempts.get().recipient_key == f"user:{alice.pk}"


def test_staff_may_test_any_code_and_receive_it_themselves(client, alice_code, staff):
    client.force_login(staff)
    client.post(f"/admin/alerts/test-alarm/{alice_code.pk}/")
    assert Alarm.objects.get().attempts.get().recipient_key == f"user:{staff.pk}"


def test_resolve_and_retry_are_scoped(client, alice, alice_code, bob):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    alarm.attempts.update(status=NotificationStatus.FAILED)
    client.force_login(bob)
    assert client.post(f"/admin/alerts/alarms/{alarm.pk}/resolve/", {"resolution_notes": "x"}).status_code == 404
    assert client.post(f"/admin/alerts/alarms/{alarm.pk}/retry/").status_code == 404
    client.force_login(alice)
    assert client.post(f"/admin/alerts/alarms/{alarm.pk}/retry/").status_code == 302
    assert alarm.attempts.get().status == NotificationStatus.PENDING
    client.post(f"/admin/alerts/alarms/{alarm.pk}/resolve/", {"resolution_notes": "Home safe"})
    alarm.refresh_from_db()
    assert alarm.resolved_at and alarm.resolution_notes == "Home safe"


def test_nobody_edits_alarm_facts_through_a_generic_form(client, alice_code, staff):
    alarm = AlarmFactory(qr_code=alice_code, description="Original")
    client.force_login(staff)
    response = client.post(f"/admin/snippets/alerts/alarm/edit/{alarm.pk}/", {"description": "Changed"})
    assert response.status_code == 404
    alarm.refresh_from_db()
    assert alarm.description == "Original"


def test_inspect_shows_the_timeline_and_bob_cannot_filter_by_alices_subject(client, alice, alice_code, bob):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    html = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    assert "Timeline" in html and "Scan: Subject lost" in html
    client.force_login(bob)
    listing = client.get("/admin/snippets/alerts/alarm/")
    assert listing.status_code == 200 and "Sofía" not in listing.content.decode()


def test_with_many_subjects_in_scope_staff_filter_by_name_and_a_custodian_keeps_the_drop_down(
    client, monkeypatch, staff, alice, alice_code, bob_subject
):
    monkeypatch.setattr("alerts.viewsets.SUBJECT_CHOICES_MAX", 1)  # staff see two subjects: "many"
    AlarmFactory(qr_code=alice_code, location="Alice's park")
    AlarmFactory(qr_code=QRCodeFactory(subject=bob_subject), location="Bob's street")
    client.force_login(staff)
    html = client.get("/admin/snippets/alerts/alarm/?subject_name=sof").content.decode()
    assert 'name="subject_name"' in html and '<select name="subject"' not in html
    assert "Sofía" in html and "Walter" not in html
    rows = _csv(client.get("/admin/alerts/export/csv/?subject_name=sof"))
    assert [r[5] for r in rows[1:]] == ["Alice's park"]  # the export buttons carry the same filter
    client.force_login(alice)
    html = client.get("/admin/snippets/alerts/alarm/").content.decode()
    assert '<select name="subject"' in html and 'name="subject_name"' not in html


def _insert_alarms(*, subject_id: int, count: int) -> None:
    """100,000 rows in one INSERT ... SELECT (same SQL on SQLite and PostgreSQL): the fixture, not the test."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)
            INSERT INTO alerts_alarm (subject_id, timestamp, situation_type, description, location, is_test,
                is_phototaker, scanner_user_agent, resolution_notes, notification_sent, notification_status,
                notification_attempts, notification_error, acknowledged_by, acknowledged_via, acknowledgement_note,
                escalation_level, auto_retries, created_at, updated_at, source, finder_name, finder_phone,
                report_count, update_count)
            SELECT %s, %s, 'LOST', '', 'p', FALSE, FALSE, '', '', FALSE, 'SENT', 1, '', '', '', '', 0, 0, %s, %s,
                'web', '', '', 1, 0 FROM n
            """,
            [count, subject_id, now, now, now],
        )
