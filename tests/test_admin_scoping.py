"""Bob never reaches Alice's records through any Wagtail admin view; staff reach everything."""

from __future__ import annotations

import pytest

from .factories import AlarmFactory

pytestmark = pytest.mark.django_db

VIEWS = ["edit", "delete", "history", "usage", "inspect"]


def _urls(alice_code):
    alarm = AlarmFactory(qr_code=alice_code)
    objects = {
        "registry/subject": alice_code.subject.pk,
        "registry/qrcode": alice_code.pk,
        "registry/custodian": alice_code.subject.custodian.pk,
        "alerts/alarm": alarm.pk,
    }
    return [f"/admin/snippets/{model}/{view}/{pk}/" for model, pk in objects.items() for view in VIEWS]


def test_bob_gets_404_and_none_of_alices_data_on_every_object_view(client, alice_code, bob):
    client.force_login(bob)
    for url in _urls(alice_code):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Sof\xc3\xada" not in response.content, url


def test_bobs_listings_do_not_show_alices_records(client, alice_code, bob, bob_subject):
    AlarmFactory(qr_code=alice_code)
    client.force_login(bob)
    for url in [
        "/admin/snippets/registry/subject/",
        "/admin/snippets/alerts/alarm/",
        "/admin/snippets/registry/qrcode/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Sofía" not in response.content.decode(), url
    assert "Walter Baker" in client.get("/admin/snippets/registry/subject/").content.decode()


def test_alice_reaches_her_own_records(client, alice, alice_code):
    alarm = AlarmFactory(qr_code=alice_code)
    client.force_login(alice)
    assert client.get(f"/admin/snippets/registry/subject/edit/{alice_code.subject.pk}/").status_code == 200
    assert client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").status_code == 200


def test_staff_reach_every_object_view(client, alice_code, staff):
    client.force_login(staff)
    for url in _urls(alice_code):
        # Alarms are records of what happened: nobody edits or deletes them, staff included (tests/test_append_only.py).
        append_only_write = "/alerts/alarm/" in url and any(v in url for v in ("/edit/", "/delete/"))
        assert client.get(url).status_code == (404 if append_only_write else 200), url
