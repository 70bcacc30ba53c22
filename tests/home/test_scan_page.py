from __future__ import annotations

import uuid

import pytest

from alerts.models import Alarm, NotificationAttempt
from registry.services import qr_code_deactivate

pytestmark = pytest.mark.django_db


def test_scan_page_shows_the_form_with_the_subjects_first_name_only(client, alice_code):
    response = client.get(f"/scan/{alice_code.uuid}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "You found Sofía" in html
    assert "Arroyo" not in html and "diabetes" not in html and "Penicillin" not in html
    assert 'value="TEST"' not in html


def test_legacy_spec_url_redirects_to_the_scan_page(client, alice_code):
    response = client.get(f"/subjects/qr/{alice_code.uuid}/scan/")
    assert response.status_code == 301 and response.url == f"/scan/{alice_code.uuid}/"


def test_unknown_and_inactive_codes_look_the_same(client, alice_code):
    unknown = client.get(f"/scan/{uuid.uuid4()}/")
    qr_code_deactivate(qr_code=alice_code)
    inactive = client.get(f"/scan/{alice_code.uuid}/")
    assert unknown.status_code == inactive.status_code == 404
    assert unknown.content == inactive.content


def test_submitting_stores_the_alarm_and_one_attempt_and_queues_delivery_on_commit(
    client, alice_code, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            f"/scan/{alice_code.uuid}/",
            {"situation_type": "INJURED", "description": "Scraped knee", "location": "Metro Insurgentes",
             "latitude": "19.423", "longitude": "-99.163"},
            HTTP_USER_AGENT="TestPhone/1.0",
        )  # fmt: skip
    assert response.status_code == 302 and f"/scan/{alice_code.uuid}/sent/" in response.url
    alarm = Alarm.objects.get()
    assert alarm.situation_type == "INJURED" and not alarm.is_test
    assert alarm.scanner_user_agent == "TestPhone/1.0" and alarm.scanner_ip == "127.0.0.1"
    attempt = NotificationAttempt.objects.get()
    assert attempt.alarm == alarm and attempt.status == "PENDING"
    assert len(callbacks) == 1
    alice_code.refresh_from_db()
    assert alice_code.last_used is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"situation_type": "TEST"}, "situation_type"),
        ({"situation_type": ""}, "situation_type"),
        ({"situation_type": "LOST", "latitude": "91", "longitude": "10"}, "latitude"),
        ({"situation_type": "LOST", "latitude": "10", "longitude": "-181"}, "longitude"),
        ({"situation_type": "LOST", "description": "x" * 1001}, "description"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_stores_nothing(client, alice_code, data, field):
    response = client.post(f"/scan/{alice_code.uuid}/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Alarm.objects.exists()


def test_half_a_coordinate_pair_is_refused(client, alice_code):
    response = client.post(f"/scan/{alice_code.uuid}/", {"situation_type": "LOST", "latitude": "19.4"})
    assert response.status_code == 400
    assert "latitude and longitude pair" in response.content.decode()


def test_description_is_escaped_in_the_custodians_view(client, alice, alice_code):
    client.post(f"/scan/{alice_code.uuid}/", {"situation_type": "LOST", "description": "<script>alert(1)</script>"})
    client.force_login(alice)
    alarm = Alarm.objects.get()
    html = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_editors_and_staff_may_edit_and_publish_the_scan_page_custodians_may_not(editor, staff, alice):
    from home.models import ScanPage

    page = ScanPage.objects.get()
    for user in (editor, staff):
        perms = page.permissions_for_user(user)
        assert perms.can_edit() and perms.can_publish(), user
    assert not page.permissions_for_user(alice).can_edit()
