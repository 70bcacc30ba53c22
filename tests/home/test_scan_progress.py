"""The finder's confirmation page: progress without anyone's contact data, reachable only by its token."""

from __future__ import annotations

import pytest

from alerts.models import NotificationStatus
from home.views import progress_token

pytestmark = pytest.mark.django_db


def _report(client, code) -> str:
    response = client.post(f"/scan/{code.uuid}/", {"situation_type": "LOST", "location": "Metro"})
    assert response.status_code == 302
    return response.url


def test_confirmation_page_shows_progress_and_no_contact_data(client, alice_code):
    url = _report(client, alice_code)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Report received" in html and "The family is being contacted" in html
    custodian = alice_code.subject.custodian
    assert str(custodian.phone_number) not in html and custodian.user.email not in html
    assert page["Referrer-Policy"] == "no-referrer"


def test_status_json_follows_delivery(client, alice_code):
    url = _report(client, alice_code)
    before = client.get(url + "status/").json()
    assert (before["state"], before["note"], [s["done"] for s in before["steps"]]) == (
        "received",
        "",
        [True, False, False, False],
    )
    alice_code.alarms.get().attempts.update(status=NotificationStatus.SENT)
    after = client.get(url + "status/").json()
    assert after["state"] == "delivered"  # the development channel's accepted send is all it will ever say
    assert [s["id"] for s in after["steps"] if s["done"]] == ["received", "notified", "delivered"]


def test_a_tampered_or_foreign_token_is_not_found(client, alice_code, bob_subject):
    from ..factories import QRCodeFactory

    url = _report(client, alice_code)
    assert client.get(url[:-3] + "xx/").status_code == 404
    alarm = alice_code.alarms.get()
    bob_code = QRCodeFactory(subject=bob_subject)
    # A valid token for Alice's alarm does not open under another code's URL.
    assert (
        client.get(f"/scan/{bob_code.uuid}/sent/{progress_token(alarm_id=alarm.pk, code=alice_code.uuid)}/").status_code
        == 404
    )
