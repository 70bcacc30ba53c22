"""One alarm filter (alerts.filters): the admin list, its exports and statistics, and the API give the same
alarms for the same query, whoever asks; ids out of scope match nothing everywhere."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from alerts.models import NotificationStatus, SituationType

from ..factories import AlarmFactory, QRCodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarms(alice_code, bob_subject) -> dict[str, int]:
    bob_code = QRCodeFactory(subject=bob_subject)
    made = {
        "alice_lost": AlarmFactory(qr_code=alice_code, situation_type=SituationType.LOST),
        "alice_injured_resolved": AlarmFactory(
            qr_code=alice_code, situation_type=SituationType.INJURED, resolved_at=timezone.now()
        ),
        "alice_contact_failed": AlarmFactory(
            qr_code=alice_code, situation_type=SituationType.CONTACT, notification_status=NotificationStatus.FAILED
        ),
        "bob_lost": AlarmFactory(qr_code=bob_code, situation_type=SituationType.LOST),
    }
    return {name: alarm.pk for name, alarm in made.items()}


def _admin_list(client, query: str) -> set[int]:
    response = client.get(f"/admin/snippets/alerts/alarm/?{query}")
    assert response.status_code == 200
    return {alarm.pk for alarm in response.context["object_list"]}


def _export(client, query: str) -> set[int]:
    response = client.get(f"/admin/alerts/export/csv/?{query}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return {int(row[0]) for row in rows[1:]}


def _statistics_total(client, query: str) -> int:
    return client.get(f"/admin/alerts/statistics/?{query}").context["stats"].total


def _api(client, query: str) -> set[int]:
    response = client.get(f"/api/alarms/?{query}&page_size=100")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


QUERIES = [
    ("", {"alice_lost", "alice_injured_resolved", "alice_contact_failed", "bob_lost"}),
    ("situation_type=LOST", {"alice_lost", "bob_lost"}),
    ("notification_status=FAILED", {"alice_contact_failed"}),
    ("resolved=true", {"alice_injured_resolved"}),
    ("resolved=false", {"alice_lost", "alice_contact_failed", "bob_lost"}),
    ("situation_type=LOST&resolved=false", {"alice_lost", "bob_lost"}),
    ("subject={alice_subject}", {"alice_lost", "alice_injured_resolved", "alice_contact_failed"}),
    ("subject={bob_subject}&situation_type=LOST", {"bob_lost"}),
    ("subject=999999", set()),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q or "no filter" for q, _ in QUERIES])
@pytest.mark.parametrize("who", ["alice", "bob", "staff"])
def test_the_admin_list_its_export_statistics_and_the_api_agree(
    request, client, token_for, alarms, alice_subject, bob_subject, who, query, expected
):
    user = request.getfixturevalue(who)
    query = query.format(alice_subject=alice_subject.pk, bob_subject=bob_subject.pk)
    visible = {"alice": {"alice_lost", "alice_injured_resolved", "alice_contact_failed"}, "bob": {"bob_lost"}}
    rows = {alarms[name] for name in expected & visible.get(who, set(alarms))}
    client.force_login(user)
    assert _admin_list(client, query) == rows
    assert _export(client, query) == rows
    assert _statistics_total(client, query) == len(rows)
    assert _api(token_for(user), query) == rows


def test_staff_with_many_subjects_still_filter_by_a_subject_id_in_the_link(
    client, token_for, staff, bob_subject, alarms, monkeypatch
):
    """With many subjects the list offers a name search instead of the drop-down; a link naming a subject id
    (as the API takes it) still filters the list, which then shows that filter so it can be removed."""
    monkeypatch.setattr("alerts.viewsets.SUBJECT_CHOICES_MAX", 1)
    client.force_login(staff)
    query = f"subject={bob_subject.pk}"
    assert _admin_list(client, query) == _export(client, query) == _api(token_for(staff), query) == {alarms["bob_lost"]}
    response = client.get(f"/admin/snippets/alerts/alarm/?{query}")
    html = response.content.decode()
    assert 'name="subject"' in html and '<select name="subject"' not in html
    assert [(f.field_label, f.value) for f in response.context["view"].active_filters] == [
        ("Subject (id)", str(bob_subject.pk))
    ]


def test_the_active_filter_names_the_chosen_subject_not_its_id(client, alice, alice_subject, alarms):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    response = client.get(f"/admin/snippets/alerts/alarm/?subject={alice_subject.pk}&situation_type=LOST")
    assert '<select name="subject"' in response.content.decode()
    assert [(f.field_label, f.value) for f in response.context["view"].active_filters] == [
        ("Situation", "Subject lost"),
        ("Subject", str(alice_subject)),
    ]
