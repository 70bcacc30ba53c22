"""The custodian profile: sensitive changes ask for the password again; a new phone is verified first."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.encryption import phone_hash
from registry.models import Custodian

from .conftest import last_code

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-passphrase"


def test_phone_change_needs_the_password(client, alice):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    response = client.post("/admin/profile/phone/", {"password": "wrong", "phone": "5587654321"})
    assert "Your password is not right." in response.content.decode()
    assert "accounts_new_phone" not in client.session


def test_phone_change_takes_effect_only_after_the_code(client, alice):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    old = str(alice.custodian.phone_number)
    response = client.post("/admin/profile/phone/", {"password": PASSWORD, "phone": "5587654321"})
    assert "We sent a code to your new number" in response.content.decode()
    assert str(Custodian.objects.get(user=alice).phone_number) == old
    response = client.post("/admin/profile/phone/", {"code": last_code(alice)})
    assert response["Location"] == "/admin/profile/"
    custodian = Custodian.objects.get(user=alice)
    assert str(custodian.phone_number) == "+525587654321"
    assert custodian.phone_hash == phone_hash("+525587654321")


def test_phone_change_refuses_a_number_someone_else_has(client, alice, bob):
    bob.custodian.phone_hash = phone_hash("+525587654321")
    bob.custodian.save()
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    response = client.post("/admin/profile/phone/", {"password": PASSWORD, "phone": "5587654321"})
    assert "An account with this phone number already exists." in response.content.decode()


def test_email_change_needs_the_password_and_sends_a_new_link(client, alice):
    from django.core import mail

    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    response = client.post("/admin/profile/email/", {"password": "wrong", "email": "new@example.com"})
    assert "Your password is not right." in response.content.decode()
    response = client.post("/admin/profile/email/", {"password": PASSWORD, "email": "new@example.com"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "new@example.com"
    assert mail.outbox[-1].to == ["new@example.com"]


def test_mfa_reset_needs_the_password(client, alice):
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client.force_login(alice)
    client.post("/admin/profile/mfa/", {"password": "wrong"})
    assert TOTPDevice.objects.filter(user=alice).exists()
    response = client.post("/admin/profile/mfa/", {"password": PASSWORD})
    assert response["Location"] == "/accounts/mfa/enrol/"
    assert not TOTPDevice.objects.filter(user=alice).exists()


def test_profile_is_for_custodians_only(client, editor):
    client.force_login(editor)
    response = client.get("/admin/profile/")  # Wagtail turns the 403 into a redirect to the dashboard
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_wagtail_account_page_does_not_offer_email_change(client, alice):
    client.force_login(alice)
    assert 'name="email' not in client.get("/admin/account/").content.decode()
