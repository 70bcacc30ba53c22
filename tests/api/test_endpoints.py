"""A custodian's API session: register a subject, make and activate a code, test it, resolve the alarm."""

from __future__ import annotations

import pytest

from alerts.models import Alarm, NotificationAttempt

pytestmark = pytest.mark.django_db


def test_custodian_journey_through_the_api(token_for, alice, django_capture_on_commit_callbacks):
    client = token_for(alice)
    subject = client.post("/api/subjects/", {"name": "Mateo Arroyo", "date_of_birth": "2019-05-01"}, format="json")
    assert subject.status_code == 201, subject.content
    assert subject.json()["custodian"] == alice.custodian.pk

    code = client.post("/api/qr-codes/", {"subject": subject.json()["id"]}, format="json")
    assert code.status_code == 201 and code.json()["is_active"] is False
    activated = client.post(f"/api/qr-codes/{code.json()['id']}/activate/")
    assert activated.json()["is_active"] is True
    png = client.get(f"/api/qr-codes/{code.json()['id']}/download/")
    assert png.status_code == 200 and png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    svg = client.get(f"/api/qr-codes/{code.json()['id']}/download/?image=svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content

    with django_capture_on_commit_callbacks() as callbacks:
        alarm = client.post("/api/alarms/", {"qr_code": code.json()["uuid"], "situation_type": "TEST"}, format="json")
    assert alarm.status_code == 201 and alarm.json()["is_test"] is True
    assert len(callbacks) == 1  # delivery queued after commit

    attempts = client.get(f"/api/alarms/{alarm.json()['id']}/notification-attempts/")
    assert attempts.status_code == 200 and attempts.json()[0]["status"] == "PENDING"

    resolved = client.post(f"/api/alarms/{alarm.json()['id']}/resolve/", {"resolution_notes": "Drill"}, format="json")
    assert resolved.json()["resolved_at"] and resolved.json()["resolution_notes"] == "Drill"

    stats = client.get("/api/alarms/statistics/").json()
    assert stats["total"] == 1 and stats["per_situation"] == {"Test scan": 1}


def test_failed_notifications_can_be_retried(token_for, alice, alice_code):
    client = token_for(alice)
    alarm = client.post(
        "/api/alarms/", {"qr_code": str(alice_code.uuid), "situation_type": "LOST"}, format="json"
    ).json()
    NotificationAttempt.objects.filter(alarm_id=alarm["id"]).update(status="FAILED")
    response = client.post(f"/api/alarms/{alarm['id']}/retry-notification/")
    assert response.status_code == 202 and response.json()["requeued"] >= 1
    assert {a["status"] for a in response.json()["attempts"]} <= {"PENDING", "PROCESSING", "SENT"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"situation_type": "LOST"}, "qr_code"),
        ({"qr_code": "not-a-uuid", "situation_type": "LOST"}, "qr_code"),
        ({"qr_code": "{code}", "situation_type": "PANIC"}, "situation_type"),
        ({"qr_code": "{code}", "situation_type": "LOST", "latitude": "95", "longitude": "0"}, "latitude"),
    ],
)
def test_bad_alarm_input_is_a_json_field_error(token_for, alice, alice_code, body, field):
    body = {k: (v.format(code=alice_code.uuid) if isinstance(v, str) else v) for k, v in body.items()}
    response = token_for(alice).post("/api/alarms/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Alarm.objects.exists()


def test_half_a_coordinate_pair_is_refused(token_for, alice, alice_code):
    body = {"qr_code": str(alice_code.uuid), "situation_type": "LOST", "latitude": "19.4"}
    response = token_for(alice).post("/api/alarms/", body, format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_alarm_list_filters_and_paginates(token_for, alice, alice_code):
    from ..factories import AlarmFactory

    AlarmFactory.create_batch(3, qr_code=alice_code, situation_type="LOST")
    AlarmFactory(qr_code=alice_code, situation_type="INJURED")
    body = token_for(alice).get("/api/alarms/?situation_type=LOST&page_size=2").json()
    assert body["count"] == 3 and all(a["situation_type"] == "LOST" for a in body["results"])


def test_schema_and_docs_are_served_locally(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/alarms/" in schema.content and b"/admin/api/" not in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


@pytest.mark.parametrize("since", ["0317-12-26T13:14:03+22:16", "1700-01-01T00:00:00Z", "not-a-date"])
def test_out_of_range_dates_are_a_400_not_a_500(token_for, alice, since):
    response = token_for(alice).get("/api/alarms/", {"since": since})
    assert response.status_code == 400 and "since" in response.json()


def test_deleting_a_subject_with_alarms_through_the_api_archives_it(token_for, alice, alice_code):
    """The API keeps the consoles' rule: history outlives the person; no 500 on the protected key."""
    from alerts.models import Alarm
    from registry.models import Subject

    from ..factories import AlarmFactory

    alarm = AlarmFactory(subject=alice_code.subject, qr_code=alice_code)
    client = token_for(alice)
    response = client.delete(f"/api/subjects/{alice_code.subject.pk}/")
    assert response.status_code == 204
    subject = Subject.objects.get(pk=alice_code.subject.pk)
    assert subject.archived_at is not None
    assert Alarm.objects.filter(pk=alarm.pk).exists()
    assert client.get(f"/api/subjects/{subject.pk}/").status_code == 404
    assert client.get(f"/api/alarms/{alarm.pk}/").status_code == 200


def test_a_co_custodian_cannot_archive_a_shared_subject_through_the_api(token_for, alice_code):
    """The consoles' household rule: only the first custodian (or staff) archives; a co-custodian gets a 403."""
    from registry.models import CustodianRole, Custodianship, Subject

    from ..factories import AlarmFactory, CustodianFactory

    carol = CustodianFactory(user__username="carol-api")
    Custodianship.objects.create(subject=alice_code.subject, custodian=carol, role=CustodianRole.CO)
    AlarmFactory(subject=alice_code.subject, qr_code=alice_code)
    response = token_for(carol.user).delete(f"/api/subjects/{alice_code.subject.pk}/")
    assert response.status_code == 403
    assert "Only the first custodian" in response.json()["detail"]
    assert Subject.objects.filter(pk=alice_code.subject.pk, archived_at__isnull=True).exists()
