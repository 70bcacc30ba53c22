"""Admin actions: the scoped permission policy, bulk badge printing, the custodian form, the test-alarm button."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.permissions import policy_registry

from core.encryption import phone_hash
from registry.models import QRCode, Subject
from registry.services import qr_code_create
from registry.viewsets import test_alarm_url as alarm_button_url

pytestmark = pytest.mark.django_db


def test_the_registered_policy_answers_from_the_selector(alice, alice_code, bob, staff):
    policy = policy_registry.get_by_type(Subject)
    subject = alice_code.subject
    assert policy.user_has_permission_for_instance(alice, "change", subject)
    assert not policy.user_has_permission_for_instance(bob, "change", subject)
    assert policy.user_has_permission(bob, "change")  # model permission alone is not enough
    assert policy.user_has_permission_for_instance(staff, "delete", subject)
    assert list(policy.instances_user_has_permission_for(bob, "view")) == []


def test_print_badges_bulk_action_sends_the_selected_codes_to_the_sheet(client, alice, alice_code):
    second = qr_code_create(subject=alice_code.subject)
    client.force_login(alice)
    url = reverse("wagtail_bulk_action", args=["registry", "qrcode", "print_badges"])
    response = client.get(f"{url}?id={alice_code.pk}&id={second.pk}")
    assert response.status_code == 302
    pdf = client.get(response["Location"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"id={alice_code.pk}" in response["Location"] and f"id={second.pk}" in response["Location"]


def test_generate_from_the_subject_page_activates_only_the_first_code(client, alice, alice_subject):
    client.force_login(alice)
    url = reverse("registry_subject_code_generate", args=[alice_subject.pk])
    client.post(url)
    client.post(url)
    codes = QRCode.objects.filter(subject=alice_subject).order_by("pk")
    assert [c.is_active for c in codes] == [True, False]


def test_editing_the_phone_in_the_admin_keeps_the_hash_and_refuses_a_duplicate(client, alice, bob):
    client.force_login(alice)
    url = reverse("wagtailsnippets_registry_custodian:edit", args=[alice.custodian.pk])
    data = {"phone_number": "+525512341234", "language": "es", "preferred_channel": "sms"}
    assert client.post(url, data).status_code == 302
    alice.custodian.refresh_from_db()
    assert alice.custodian.phone_hash == phone_hash("+525512341234")
    assert alice.custodian.preferred_channel == "sms"
    client.force_login(bob)
    url = reverse("wagtailsnippets_registry_custodian:edit", args=[bob.custodian.pk])
    response = client.post(url, {**data, "preferred_channel": "whatsapp"})
    assert response.status_code == 200 and "already registered" in response.content.decode()


def test_the_test_alarm_button_appears_only_once_the_alerts_view_exists(client, alice, alice_code):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    page = client.get(reverse("wagtailsnippets_registry_qrcode:inspect", args=[alice_code.pk])).content.decode()
    url = alarm_button_url(alice_code)
    if url is None:
        assert "Send a test alarm" not in page
    else:
        assert url in page and "Send a test alarm" in page
