"""The scoping matrix over every API route: Bob never reads, changes or deletes Alice's objects."""

from __future__ import annotations

import pytest

from alerts.models import Alarm
from api.urls import router
from registry.models import QRCode, Subject

pytestmark = pytest.mark.django_db


def _detail_routes():
    """Every router route that takes a pk, as (basename, url template, allowed methods)."""
    for pattern in router.urls:
        route = str(pattern.pattern)
        if "<pk>" not in route and "(?P<pk>" not in route:
            continue
        name = pattern.name or ""
        basename = name.rsplit("-", 1)[0] if name.endswith("-detail") else name.split("-")[0]
        yield pattern, basename


def test_every_detail_route_is_in_the_matrix(alice_world):
    basenames = {basename for _, basename in _detail_routes()}
    assert basenames - {"messagetemplate"} <= set(alice_world), basenames


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "post"])
def test_bob_cannot_reach_alices_objects_by_any_detail_route(token_for, bob, alice_world, method):
    client = token_for(bob)
    before = (Subject.objects.count(), QRCode.objects.filter(is_active=True).count(), Alarm.objects.count())
    for pattern, basename in _detail_routes():
        if basename not in alice_world:
            continue
        route = str(pattern.pattern).removeprefix("^").removesuffix("$")
        if "(?P<format>" in route:
            continue  # the same view with a format suffix
        url = "/api/" + route.replace("(?P<pk>[^/.]+)", str(alice_world[basename]))
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code in (403, 404, 405), (method, url, response.status_code)
        assert b"Sof\xc3\xada" not in response.content, url
    after = (Subject.objects.count(), QRCode.objects.filter(is_active=True).count(), Alarm.objects.count())
    assert before == after


def test_bobs_lists_never_contain_alices_objects(token_for, bob, alice_world):
    client = token_for(bob)
    for prefix in ["subjects", "qr-codes", "alarms", "notification-attempts", "messages"]:
        body = client.get(f"/api/{prefix}/").json()
        assert body["count"] == 0, prefix
    assert client.get("/api/alarms/statistics/").json()["total"] == 0


def test_staff_reach_alices_objects(token_for, staff, alice_world):
    client = token_for(staff)
    assert client.get(f"/api/subjects/{alice_world['subject']}/").status_code == 200
    assert client.get(f"/api/alarms/{alice_world['alarm']}/").status_code == 200
    assert client.get(f"/api/messages/{alice_world['message']}/").status_code == 200


def test_nobody_deletes_an_alarm_through_the_api(token_for, alice, staff, alice_world):
    """Alarms are append-only history, for staff too."""
    from alerts.models import Alarm

    assert token_for(alice).delete(f"/api/alarms/{alice_world['alarm']}/").status_code == 405
    assert token_for(staff).delete(f"/api/alarms/{alice_world['alarm']}/").status_code == 405
    assert Alarm.objects.filter(pk=alice_world["alarm"]).exists()


def test_bob_cannot_raise_an_alarm_on_alices_code(token_for, bob, alice_code):
    response = token_for(bob).post(
        "/api/alarms/", {"qr_code": str(alice_code.uuid), "situation_type": "TEST"}, format="json"
    )
    assert response.status_code == 400 and "qr_code" in response.json()
    assert not Alarm.objects.exists()


def test_bob_cannot_file_a_code_under_alices_subject(token_for, bob, alice_subject):
    response = token_for(bob).post("/api/qr-codes/", {"subject": alice_subject.pk}, format="json")
    assert response.status_code == 400 and "subject" in response.json()


def test_templates_are_for_editors_and_staff(token_for, alice, editor):
    assert token_for(alice).get("/api/templates/").status_code == 403
    assert token_for(editor).get("/api/templates/").json()["count"] >= 8
