"""Records are append-only in both consoles: alarms, the message log and replies are never added, edited or
deleted by hand, by staff or superusers either; staff annotate an alarm with notes, which show on its timeline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts.models import Alarm, InactiveCodeScan
from messaging.models import InboundMessage, Message

from .factories import AlarmFactory, QRCodeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def records(alice, alice_code):
    alarm = AlarmFactory(qr_code=alice_code, description="Original")
    message = Message.objects.create(owner=alice, to="+525500000001", channel="development", content="Sent text")
    inbound = InboundMessage.objects.create(
        channel="sms",
        from_address="+525500000001",
        address_hash="525500000001",
        body="Reply",
        provider_message_id="r1",
        owner=alice,
    )
    return {"alerts/alarm": alarm, "messaging/message": message, "messaging/inboundmessage": inbound}


def _write_urls(records) -> list[str]:
    urls = []
    for model, obj in records.items():
        urls.append(f"/admin/snippets/{model}/add/")
        urls += [f"/admin/snippets/{model}/{view}/{obj.pk}/" for view in ("edit", "delete", "copy")]
        urls.append(f"/admin/bulk/{model}/delete/?id={obj.pk}")
    return urls


@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_nobody_adds_edits_or_deletes_a_record_by_url(client, records, who, request):
    client.force_login(request.getfixturevalue(who))
    for url in _write_urls(records):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"description": "Changed", "content": "Forged", "body": "Forged"}).status_code == 404, (
            url
        )
    alarm, message, inbound = records.values()
    alarm.refresh_from_db()
    message.refresh_from_db()
    inbound.refresh_from_db()
    assert (alarm.description, message.content, inbound.body) == ("Original", "Sent text", "Reply")
    assert (Alarm.objects.count(), Message.objects.count(), InboundMessage.objects.count()) == (1, 1, 1)


@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_no_add_edit_or_delete_button_is_rendered_for_records(client, records, who, request):
    client.force_login(request.getfixturevalue(who))
    for model, obj in records.items():
        listing = client.get(f"/admin/snippets/{model}/").content.decode()
        assert f"/admin/snippets/{model}/add/" not in listing, model
        assert f"/admin/snippets/{model}/edit/{obj.pk}/" not in listing, model
        assert f"/admin/snippets/{model}/delete/{obj.pk}/" not in listing, model
        assert "data-bulk-action-checkbox" not in listing, model  # no selection: no bulk delete bar
        inspect = client.get(f"/admin/snippets/{model}/inspect/{obj.pk}/")
        assert inspect.status_code == 200, model
        page = inspect.content.decode()
        assert f"/admin/snippets/{model}/edit/{obj.pk}/" not in page, model
        assert f"/admin/snippets/{model}/delete/{obj.pk}/" not in page, model
    # History and usage stay readable.
    alarm = records["alerts/alarm"]
    assert client.get(f"/admin/snippets/alerts/alarm/history/{alarm.pk}/").status_code == 200
    assert client.get(f"/admin/snippets/alerts/alarm/usage/{alarm.pk}/").status_code == 200


def test_ops_console_keeps_scans_read_only_for_superusers(client, superuser, alice_code):
    inactive = QRCodeFactory(subject=alice_code.subject, is_active=False)
    scan = InactiveCodeScan.objects.create(qr_code=inactive)
    client.force_login(superuser)
    changelist = client.get("/ops/alerts/inactivecodescan/")
    assert changelist.status_code == 200
    assert "/ops/alerts/inactivecodescan/add/" not in changelist.content.decode()
    assert client.get("/ops/alerts/inactivecodescan/add/").status_code == 403
    assert client.post(f"/ops/alerts/inactivecodescan/{scan.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(
        "/ops/alerts/inactivecodescan/", {"action": "delete_selected", "_selected_action": [scan.pk]}
    )
    assert InactiveCodeScan.objects.filter(pk=scan.pk).exists(), response.status_code


def test_custodian_still_resolves_her_alarm_through_its_own_action(client, alice, records):
    alarm = records["alerts/alarm"]
    client.force_login(alice)
    client.post(reverse("alerts_resolve", args=[alarm.pk]), {"resolution_notes": "Home safe"})
    alarm.refresh_from_db()
    assert alarm.resolved_at and alarm.resolution_notes == "Home safe"


def test_staff_annotate_an_alarm_and_the_note_shows_on_its_timeline(client, staff, records):
    from alerts.models import AlarmNote

    alarm = records["alerts/alarm"]
    client.force_login(staff)
    page = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    assert reverse("alerts_note_add", args=[alarm.pk]) in page
    response = client.post(reverse("alerts_note_add", args=[alarm.pk]), {"text": "Called the family: no answer"})
    assert response.status_code == 302
    note = AlarmNote.objects.get(alarm=alarm)
    assert note.author == staff and note.author_name
    timeline = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    assert "Called the family: no answer" in timeline and 'class="timeline-note"' in timeline


def test_custodians_do_not_add_notes_and_bob_never_reaches_alices_alarm(client, alice, bob, records):
    from alerts.models import AlarmNote

    alarm = records["alerts/alarm"]
    client.force_login(alice)
    page = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    assert reverse("alerts_note_add", args=[alarm.pk]) not in page
    assert client.post(reverse("alerts_note_add", args=[alarm.pk]), {"text": "x"}).status_code == 404
    client.force_login(bob)
    assert client.post(reverse("alerts_note_add", args=[alarm.pk]), {"text": "x"}).status_code == 404
    assert not AlarmNote.objects.exists()


def test_wagtail_reports_are_staff_only(client, bob, editor, staff):
    for user in (bob, editor):
        client.force_login(user)
        assert client.get("/admin/reports/site-history/").status_code == 404
        assert client.get("/admin/reports/site-history/?export=csv").status_code == 404
        assert client.get("/admin/reports/aging-pages/").status_code == 404
        assert "/admin/reports/site-history/" not in client.get("/admin/").content.decode()
    client.force_login(staff)
    assert client.get("/admin/reports/site-history/").status_code == 200
    assert "/admin/reports/site-history/" in client.get("/admin/").content.decode()
