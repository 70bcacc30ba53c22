"""The Wagtail home page: a custodian's own subjects and code status; staff totals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alarm
from tests.factories import AlarmFactory, CustodianFactory, QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def test_a_custodian_sees_their_subjects_code_status_and_recent_alarms(client, alice, alice_code, bob, bob_subject):
    alarm = AlarmFactory(qr_code=alice_code)
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # her console in English
    client.force_login(alice)
    body = client.get("/admin/").content.decode()
    assert "People in your care" in body
    assert "Sofía Arroyo" in body and alice_code.short_code in body
    assert alarm.get_situation_type_display() in body
    assert "Walter Baker" not in body


def test_a_subject_without_an_active_code_says_so(client, bob, bob_subject):
    client.force_login(bob)
    body = client.get("/admin/").content.decode()
    assert "Walter Baker" in body and "No active code" in body


def test_staff_see_totals_excluding_staff_custodians(client, staff, alice_code, bob_subject):
    # A staff member who is also registered must not count as a custodian; English, as the labels below read.
    CustodianFactory(user=staff, language="en")
    QRCodeFactory(subject=SubjectFactory(custodian=bob_subject.custodian), is_active=True)
    AlarmFactory(qr_code=alice_code)
    old = AlarmFactory(qr_code=alice_code)
    Alarm.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=3))
    client.force_login(staff)
    body = client.get("/admin/").content.decode()
    assert "Keryu totals" in body
    for key, value in {"custodians": 2, "subjects": 3, "active_codes": 2, "alarms_24h": 1, "alarms_7d": 2}.items():
        assert f'data-total="{key}">{value}<' in body, key
