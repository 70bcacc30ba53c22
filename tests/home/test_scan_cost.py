"""What a scan costs in statements (counted with CaptureQueriesContext, never timed), and that the cached scan
page still shows every edit: the finder sees what they saw before the page was cached."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from alerts.models import Alarm, NotificationAttempt
from home.models import ScanPage

pytestmark = pytest.mark.django_db

REPORT = {"situation_type": "LOST", "description": "Near the fountain", "location": "Parque México"}


def _transaction(sql: list[str]) -> list[str]:
    """The statements of the outermost atomic block (a savepoint under the test's own transaction), with its
    opening and closing statements standing in for BEGIN and COMMIT."""
    start = next(i for i, s in enumerate(sql) if s.startswith("SAVEPOINT"))
    name = sql[start].split()[1]
    end = next(i for i, s in enumerate(sql) if s == f"RELEASE SAVEPOINT {name}")
    return sql[start : end + 1]


def _post(client, code) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/scan/{code.uuid}/", REPORT)
    assert response.status_code == 302
    return [q["sql"] for q in captured.captured_queries]


def test_a_first_report_is_one_short_transaction_with_the_open_alarm_read_once(client, alice_code):
    client.get(f"/scan/{alice_code.uuid}/")  # the page cached, as on any live site
    sql = _post(client, alice_code)
    tx = _transaction(sql)
    assert len(tx) <= 10, "\n".join(tx)
    # Nothing but writes inside: every read (policy, contacts, channels, addresses) happened before it.
    assert [s.split()[0] for s in tx if s.startswith("SELECT")] == []
    reads_of_alarms = [s for s in sql if s.startswith("SELECT") and 'FROM "alerts_alarm"' in s]
    assert len(reads_of_alarms) == 1  # the open-alarm check, once; the constraint does the rest
    assert not [s for s in sql if "wagtailcore_referenceindex" in s]
    assert not [s for s in sql if 'FROM "registry_custodian"' in s or 'FROM "auth_user"' in s]
    assert Alarm.objects.get().notification_status == "PENDING"
    assert NotificationAttempt.objects.get().recipient_kind == "custodian"


def test_a_report_past_the_cooldown_still_closes_the_stale_alarm(client, alice_code, settings):
    _post(client, alice_code)
    stale = Alarm.objects.get()
    Alarm.objects.filter(pk=stale.pk).update(timestamp=stale.timestamp.replace(year=stale.timestamp.year - 1))
    _post(client, alice_code)
    stale.refresh_from_db()
    assert stale.grouping_closed_at is not None and Alarm.objects.count() == 2


def test_a_cached_scan_get_reads_one_row(client, alice_code):
    client.get(f"/scan/{alice_code.uuid}/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/scan/{alice_code.uuid}/")
    assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) <= 1, sql


def test_an_edit_to_the_page_or_the_subject_shows_at_once(client, alice_code, alice_subject):
    assert "You found Sofía" in client.get(f"/scan/{alice_code.uuid}/").content.decode()
    page = ScanPage.objects.get()
    page.instructions = "New words from the editors"
    page.save_revision().publish()
    alice_subject.name = "Lucía Arroyo"
    alice_subject.save()
    html = client.get(f"/scan/{alice_code.uuid}/").content.decode()
    assert "New words from the editors" in html and "You found Lucía" in html


def test_a_view_restriction_added_after_caching_applies_at_once(client, alice_code):
    assert client.get(f"/scan/{alice_code.uuid}/").status_code == 200
    PageViewRestriction.objects.create(page=ScanPage.objects.get(), restriction_type="password", password="x1")
    response = client.get(f"/scan/{alice_code.uuid}/")
    assert "You found" not in response.content.decode()
    assert "password" in response.content.decode().lower()


def test_an_unpublished_scan_page_stops_serving_at_once(client, alice_code):
    assert client.get(f"/scan/{alice_code.uuid}/").status_code == 200
    ScanPage.objects.get().unpublish()
    assert client.get(f"/scan/{alice_code.uuid}/").status_code == 404
