"""One clock (issue 18 item 3): every time a person reads is on the viewer's clock, the zone named in exports.

The site's zone here is America/Mexico_City (UTC-6 in November): 13:43 UTC is 07:43 there.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from core.timezones import viewer_time_zone

from ..factories import AlarmFactory

pytestmark = pytest.mark.django_db

RAISED = datetime(2026, 11, 21, 13, 43, tzinfo=UTC)


@override_settings(TIME_ZONE="America/Mexico_City")
def test_the_alarm_page_title_and_timeline_read_the_same_clock(client, alice, alice_code):
    alarm = AlarmFactory(qr_code=alice_code, timestamp=RAISED)
    client.force_login(alice)
    html = client.get(reverse("wagtailsnippets_alerts_alarm:inspect", args=[alarm.pk])).content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert "2026-11-21 07:43" in title  # was 13:43: the title printed UTC
    assert "13:43" not in html and "1:43 p.m." not in html


@override_settings(TIME_ZONE="America/Mexico_City")
def test_code_pages_show_times_on_the_viewers_clock(client, alice, alice_code):
    alice_code.activated_at = RAISED
    alice_code.save(update_fields=["activated_at"])
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English time format
    client.force_login(alice)
    html = client.get(reverse("wagtailsnippets_registry_qrcode:inspect", args=[alice_code.pk])).content.decode()
    assert "7:43 a.m." in html and "13:43" not in html


@override_settings(TIME_ZONE="America/Mexico_City")
def test_the_csv_export_names_the_zone_and_uses_it(client, alice, alice_code):
    AlarmFactory(qr_code=alice_code, timestamp=RAISED)
    client.force_login(alice)
    response = client.get(reverse("alerts_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][1] == "fecha y hora (America/Mexico_City)"  # Alice reads Spanish
    assert rows[1][1] == "2026-11-21 07:43"


def test_a_profile_zone_wins_and_a_bad_one_is_ignored():
    madrid = SimpleNamespace(is_authenticated=True, custodian=SimpleNamespace(time_zone="Europe/Madrid"))
    assert viewer_time_zone(madrid) == zoneinfo.ZoneInfo("Europe/Madrid")
    bogus = SimpleNamespace(is_authenticated=True, custodian=SimpleNamespace(time_zone="Mars/Olympus"))
    assert viewer_time_zone(bogus) is None
    assert viewer_time_zone(SimpleNamespace(is_authenticated=False)) is None


def test_the_middleware_leaves_no_zone_behind(client, alice):
    client.force_login(alice)
    client.get(reverse("wagtailadmin_home"))
    assert timezone.get_current_timezone_name() == timezone.get_default_timezone_name()


# --- A custodian's own zone (Custodian.time_zone, chosen on the profile page) --------------------------------


def _profile(alice, **changes: str) -> dict[str, str]:
    custodian = alice.custodian
    return {
        "first_name": alice.first_name or "Alice",
        "last_name": alice.last_name or "Example",
        "address": "",
        "emergency_phone": "",
        "language": custodian.language,
        "preferred_channel": custodian.preferred_channel,
        "time_zone": "",
        **changes,
    }


def _choose_zone(client, alice, zone: str) -> None:
    response = client.post("/admin/profile/", _profile(alice, time_zone=zone))
    assert response.status_code == 302, response.content.decode()[:2000]


@override_settings(TIME_ZONE="America/Mexico_City")
def test_a_custodian_in_tijuana_reads_the_alarm_title_and_timeline_on_her_clock(client, alice, alice_code):
    """13:43 UTC is 05:43 in Tijuana (PST) and 07:43 on the site's clock. Wagtail activates its own user
    profile's zone around admin views, so without the copy the page read the site's clock."""
    alarm = AlarmFactory(qr_code=alice_code, timestamp=RAISED)
    client.force_login(alice)
    _choose_zone(client, alice, "America/Tijuana")
    assert type(alice.custodian).objects.get(pk=alice.custodian.pk).time_zone == "America/Tijuana"
    html = client.get(reverse("wagtailsnippets_alerts_alarm:inspect", args=[alarm.pk])).content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert "2026-11-21 05:43 PST" in title
    timeline = html[html.index('data-keryu-zone="America/Tijuana"') :]
    assert "Times in America/Tijuana" in timeline or "Horas en America/Tijuana" in timeline
    assert '<tr class="timeline-scan"><td>2026-11-21 05:43 PST</td>' in timeline
    assert "07:43" not in html and "13:43" not in html


@override_settings(TIME_ZONE="America/Mexico_City")
def test_a_custodian_without_a_zone_reads_the_sites_clock_named(client, alice, alice_code):
    alarm = AlarmFactory(qr_code=alice_code, timestamp=RAISED)
    client.force_login(alice)
    _choose_zone(client, alice, "")
    html = client.get(reverse("wagtailsnippets_alerts_alarm:inspect", args=[alarm.pk])).content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert "2026-11-21 07:43 CST" in title
    assert 'data-keryu-zone="America/Mexico_City"' in html
    assert '<tr class="timeline-scan"><td>2026-11-21 07:43 CST</td>' in html


@override_settings(TIME_ZONE="America/Mexico_City")
def test_the_exports_name_the_custodians_own_zone(client, alice, alice_code):
    from openpyxl import load_workbook

    AlarmFactory(qr_code=alice_code, timestamp=RAISED)
    client.force_login(alice)
    _choose_zone(client, alice, "America/Tijuana")
    response = client.get(reverse("alerts_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][1] == "fecha y hora (America/Tijuana)"
    assert rows[1][1] == "2026-11-21 05:43"
    response = client.get(reverse("alerts_export", args=["xlsx"]))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.cell(1, 2).value == "fecha y hora (America/Tijuana)"
    assert sheet.cell(2, 2).value == "2026-11-21 05:43"


def test_the_profile_refuses_a_zone_that_does_not_exist(client, alice):
    client.force_login(alice)
    response = client.post("/admin/profile/", _profile(alice, time_zone="Mars/Olympus"))
    assert response.status_code == 200
    assert type(alice.custodian).objects.get(pk=alice.custodian.pk).time_zone == ""


def test_wagtails_account_page_offers_no_second_zone_picker(client, alice):
    client.force_login(alice)
    html = client.get(reverse("wagtailadmin_account")).content.decode()
    assert "current_time_zone" not in html
