"""Keryu's console inside Wagtail's admin (issue 18 item 1): custodians see Keryu, not a CMS; staff keep it all."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import SituationType

from .factories import AlarmFactory, QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def test_the_login_page_says_keryu(client):
    html = client.get(reverse("wagtailadmin_login")).content.decode()
    assert "Sign in to Keryu" in html and "Sign in to Wagtail" not in html
    assert "<title>Sign in - Keryu</title>" in html


def test_a_custodians_console_has_no_cms_furniture(client, alice, alice_code):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # her console in English
    client.force_login(alice)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Search all pages" not in html  # no page search on the dashboard
    assert "editor guide" not in html.lower()  # no Wagtail editor guide
    assert '"name": "explorer"' not in html and '"name": "help"' not in html  # no Pages, no Help in the menu
    assert "What's new in Wagtail" not in html
    assert "People in your care" in html and alice_code.short_code in html
    # One click to the badge and the QR image, from the home page.
    assert reverse("registry_qr_badge_pdf", args=[alice_code.pk]) in html
    assert reverse("registry_qr_png", args=[alice_code.pk]) in html


def test_staff_keep_the_full_admin(client, staff):
    client.force_login(staff)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Search all pages" in html
    assert '"name": "explorer"' in html


def test_editors_keep_pages_search_and_help(client, editor):
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert '"name": "explorer"' in html and '"name": "help"' in html
    assert 'id="keryu-open-alarms"' not in html  # an editor has no one in their care


def test_open_alarms_come_first_injured_in_red_with_acknowledge_and_call(client, alice, alice_code, bob_subject):
    lost = AlarmFactory(qr_code=alice_code, situation_type=SituationType.LOST)
    other_code = QRCodeFactory(subject=SubjectFactory(custodian=alice.custodian, name="Abuelo Tomás"))
    injured = AlarmFactory(qr_code=other_code, situation_type=SituationType.INJURED)
    AlarmFactory(qr_code=QRCodeFactory(subject=bob_subject), situation_type=SituationType.INJURED)  # Bob's
    client.force_login(alice)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    alarms_at = html.index('id="keryu-open-alarms"')
    assert alarms_at < html.index('id="keryu-my-subjects"')  # alarms before the people
    assert html.index(f'data-alarm="{injured.pk}"') < html.index(f'data-alarm="{lost.pk}"')  # INJURED first
    assert "keryu-alarm--injured" in html and "#b00020" in html
    assert html.count("data-keryu-acknowledge=") == 2  # Alice's two, not Bob's
    assert 'href="tel:911"' in html
    assert reverse("alerts_acknowledge_admin", args=[injured.pk]) in html
    assert "Walter Baker" not in html


def test_the_acknowledge_button_works_from_the_console(client, alice, alice_code):
    alarm = AlarmFactory(qr_code=alice_code, situation_type=SituationType.INJURED)
    client.force_login(alice)
    response = client.post(reverse("alerts_acknowledge_admin", args=[alarm.pk]), {"note": ""})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is not None
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert f'data-keryu-acknowledge="{alarm.pk}"' not in html


def test_the_subject_page_shows_the_active_code_its_qr_and_scan_history(client, alice, alice_code, alice_subject):
    alarm = AlarmFactory(qr_code=alice_code, situation_type=SituationType.LOST)
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # her console in English
    client.force_login(alice)
    html = client.get(reverse("wagtailsnippets_registry_subject:inspect", args=[alice_subject.pk])).content.decode()
    assert reverse("registry_qr_png", args=[alice_code.pk]) in html and "data-keryu-qr" in html
    assert reverse("registry_qr_badge_pdf", args=[alice_code.pk]) in html
    assert "Scan history" in html and reverse("wagtailsnippets_alerts_alarm:inspect", args=[alarm.pk]) in html
    # Yes/No fields read Yes or No, never True/False.
    assert not re.search(r"<dd>\s*(True|False)\s*</dd>", html)
    assert re.search(r"<dt>Is active</dt>\s*<dd>\s*Yes\s*</dd>", html)
    assert re.search(r"<dt>Share photo</dt>\s*<dd>\s*No\s*</dd>", html)


def test_switching_a_code_off_asks_first(client, alice, alice_code):
    client.force_login(alice)
    url = reverse("registry_qr_toggle", args=[alice_code.pk])
    response = client.post(url, {"active": "0", "next": "javascript:alert(1)"})
    html = response.content.decode()
    assert response.status_code == 200 and "data-keryu-confirm-deactivate" in html
    assert "javascript:" not in html  # an unsafe `next` is never echoed into the page
    alice_code.refresh_from_db()
    assert alice_code.is_active
    client.post(url, {"active": "0", "confirmed": "1"})
    alice_code.refresh_from_db()
    assert not alice_code.is_active


def test_staff_dashboard_puts_open_and_failed_alarms_first_then_delivery_and_health(client, staff, alice_code):
    from alerts.models import NotificationAttempt, NotificationStatus

    alarm = AlarmFactory(qr_code=alice_code, situation_type=SituationType.INJURED)
    now = timezone.now()
    NotificationAttempt.objects.create(
        alarm=alarm, recipient_key="custodian:1", channel="twilio_sms", status=NotificationStatus.FAILED
    )
    NotificationAttempt.objects.create(
        alarm=alarm,
        recipient_key="custodian:1",
        channel="meta_whatsapp",
        status=NotificationStatus.DELIVERED,
        delivered_at=now,
    )
    client.force_login(staff)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    open_at = html.index('id="keryu-staff-open"')
    assert open_at < html.index('id="keryu-staff-delivery"') < html.index('id="keryu-staff-health"')
    assert html.index('id="keryu-staff-health"') < html.index('id="keryu-totals"')
    failed = html[html.index('id="keryu-staff-failed"') :]
    assert f'data-alarm="{alarm.pk}"' in failed
    assert 'data-window-table="24"' in html and 'data-window-table="168"' in html
    assert 'data-channel="meta_whatsapp"' in html and 'data-channel="twilio_sms"' in html
    for part in ("worker", "beat", "queue"):
        assert f'data-check="{part}"' in html


def test_a_custodian_never_sees_the_staff_panels(client, alice):
    client.force_login(alice)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="keryu-staff-open"' not in html and 'id="keryu-staff-health"' not in html
