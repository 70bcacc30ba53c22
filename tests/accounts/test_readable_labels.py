"""Names people read, not column or package names (issue 18): "My activity" lists the fields a person edited as
the forms call them, and /ops/ lists apps under readable names."""

from __future__ import annotations

import pytest
from auditlog.context import set_actor

pytestmark = pytest.mark.django_db


def test_my_activity_names_fields_as_the_forms_do(client, alice):
    with set_actor(alice):
        alice.custodian.phone_number = "+525512345670"
        alice.custodian.emergency_phone = "+525512345671"
        alice.custodian.save()
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    page = client.get("/admin/profile/").content.decode()
    activity = page[page.index("My activity") :]
    assert "phone_hash" not in activity and "emergency_phone" not in activity and "phone_number" not in activity
    assert "Phone number" in activity and "Emergency phone" in activity


def test_ops_lists_apps_under_readable_names(client, staff):
    client.force_login(staff)
    html = client.get("/ops/").content.decode()
    for raw in ("Otp_Totp", "Otp_Static", "Taggit", "Django_Otp"):
        assert raw not in html
    assert "Authenticator apps (second factor)" in html
