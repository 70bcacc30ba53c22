"""The audit log: who changed what (field names), from where; sensitive values hidden; read-only in /ops/."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from accounts.audit import MASK
from accounts.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_subject_change_is_logged_with_actor_ip_and_masked_medical_values(alice_subject, alice):
    from auditlog.context import set_actor

    with set_actor(alice, remote_addr="192.0.2.7"):
        alice_subject.allergies = "Peanuts"
        alice_subject.name = "Sofía A."
        alice_subject.save()
    entry = LogEntry.objects.get_for_object(alice_subject).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == alice and entry.remote_addr == "192.0.2.7"
    assert set(entry.changes_dict) == {"allergies", "name"}
    assert entry.changes_dict["allergies"] == [MASK, MASK]
    text = str(entry.changes)
    assert "Peanuts" not in text and "Penicillin" not in text and "Sofía" not in text


def test_profile_edit_through_a_request_records_actor_ip_and_field_names(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/profile/",
        {
            "first_name": "Alice",
            "last_name": "Arroyo",
            "address": "Av. Reforma 1",
            "emergency_phone": "",
            "language": "en",
            "preferred_channel": "whatsapp",
        },
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_FORWARDED_FOR="203.0.113.99",  # forged by the client: must not reach the audit log
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = LogEntry.objects.filter(content_type__model="custodian", action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == alice and entry.remote_addr == "198.51.100.4"
    assert {"address", "language"} <= set(entry.changes_dict)
    assert "Reforma" not in str(entry.changes)


def test_custodian_phone_and_address_are_masked(alice):
    custodian = alice.custodian
    custodian.address = "Calle Falsa 123"
    custodian.save()
    entry = LogEntry.objects.get_for_object(custodian).latest("timestamp")
    assert "address" in entry.changes_dict
    assert "Calle Falsa" not in str(entry.changes)


def test_mfa_devices_are_audited_without_their_key(alice):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    entry = LogEntry.objects.get_for_object(device).get(action=LogEntry.Action.CREATE)
    assert device.key not in str(entry.changes)


def test_audit_log_is_read_only_in_ops(client, staff, alice):
    client.force_login(staff)
    assert client.get("/ops/auditlog/logentry/").status_code == 200
    entry = LogEntry.objects.first()
    assert client.get(f"/ops/auditlog/logentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/ops/auditlog/logentry/add/").status_code == 403


def test_custodian_cannot_read_the_audit_log(client, alice):
    client.force_login(alice)
    response = client.get("/ops/auditlog/logentry/")
    assert response.status_code == 302 and "/ops/login/" in response["Location"]


def test_refused_object_access_is_logged(client, alice, bob_subject):
    client.force_login(alice)
    response = client.get(f"/admin/snippets/registry/subject/edit/{bob_subject.pk}/")
    assert response.status_code == 404
    event = SecurityEvent.objects.get(kind="access_refused")
    assert event.user == alice and str(bob_subject.pk) in event.path


def test_failed_login_is_logged(password_only_client, alice):
    password_only_client.post("/admin/login/", {"username": "alice", "password": "nope-nope-nope"})
    assert SecurityEvent.objects.filter(kind="login_failed", username="alice").exists()


def test_own_activity_log_in_profile_shows_only_own_entries(client, alice, bob):
    from auditlog.context import set_actor

    with set_actor(bob):
        bob.custodian.address = "Bob street"
        bob.custodian.save()
    with set_actor(alice):
        alice.custodian.address = "Alice street"
        alice.custodian.save()
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    page = client.get("/admin/profile/").content.decode()
    assert "My activity" in page and "<td>Address</td>" in page
    from accounts.selectors import activity_for

    assert all(e.actor_id == alice.pk for e in activity_for(alice))
    assert activity_for(alice).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/ops/accounts/securityevent/",
        "/ops/accounts/usermfa/",
        "/ops/auditlog/logentry/",
        "/ops/axes/accessattempt/",
        "/ops/axes/accessfailurelog/",
        "/ops/axes/accesslog/",
    ],
)
def test_staff_sees_the_security_records_in_ops(client, staff, alice, url):
    client.force_login(staff)
    assert client.get(url).status_code == 200
