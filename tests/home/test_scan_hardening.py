"""Headers, languages, rate limits and the Phototaker marker on the public scan page."""

from __future__ import annotations

import pytest

from alerts.models import Alarm
from core.headers import SCAN_CSP

from ..factories import AlarmFactory

pytestmark = pytest.mark.django_db


def test_scan_page_sends_no_referrer_no_cache_and_a_strict_csp(client, alice_code):
    response = client.get(f"/scan/{alice_code.uuid}/")
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Security-Policy"] == SCAN_CSP and "default-src 'none'" in SCAN_CSP
    html = response.content.decode()
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html  # nothing external


def test_unknown_code_page_is_hardened_too(client):
    response = client.get("/scan/00000000-0000-4000-8000-000000000000/")
    assert response.status_code == 404 and response["Referrer-Policy"] == "no-referrer"


def test_spanish_from_accept_language(client, alice_code):
    html = client.get(f"/scan/{alice_code.uuid}/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    assert "Encontraste a Sofía" in html and "Avisar a la familia" in html and 'lang="es"' in html
    assert "Perdido: no encuentra a su familia" in html


def test_visible_language_switch_sets_the_language(client, alice_code):
    response = client.get(f"/scan/{alice_code.uuid}/?lang=es", HTTP_ACCEPT_LANGUAGE="en")
    assert "Encontraste a Sofía" in response.content.decode()
    assert response.cookies["django_language"].value == "es"
    assert 'href="?lang=en"' in response.content.decode()


def test_first_load_is_under_50_kb(client, alice_code):
    """Everything a first visit fetches (the page and every stylesheet, script and icon it links), except the
    subject's photo, stays under 50 KB, uncompressed."""
    import re

    from django.conf import settings
    from django.contrib.staticfiles import finders

    html = client.get(f"/scan/{alice_code.uuid}/").content
    linked = re.findall(rb'(?:href|src)="(/[^"]+)"', html)
    assets = [u.decode() for u in linked if u.startswith(settings.STATIC_URL.encode())]
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    sizes = {a: len(open(finders.find(a.removeprefix(settings.STATIC_URL)), "rb").read()) for a in assets}
    total = len(html) + sum(sizes.values())
    print(f"first load: html={len(html)} assets={sizes} total={total} bytes")
    assert total < 50 * 1024


def test_phototaker_header_marks_the_alarm_and_gets_the_mobile_form(client, alice_code):
    page = client.get(f"/scan/{alice_code.uuid}/", HTTP_X_KERYU_CLIENT="phototaker")
    assert 'class="phototaker"' in page.content.decode()
    client.post(f"/scan/{alice_code.uuid}/", {"situation_type": "LOST"}, HTTP_X_KERYU_CLIENT="phototaker")
    assert Alarm.objects.get().is_phototaker


def test_repeat_reports_from_one_ip_get_429_with_retry_after(client, alice_code, settings):
    settings.KERYU_SCAN_POST_RATE_PER_IP = "2/600"
    settings.KERYU_SCAN_POST_RATE_PER_CODE = "100/600"
    url = f"/scan/{alice_code.uuid}/"
    statuses = [client.post(url, {"situation_type": "LOST"}).status_code for _ in range(4)]
    assert statuses[:3] == [302, 302, 302]  # the first report is free; then two repeats are allowed
    last = client.post(url, {"situation_type": "LOST"})
    assert last.status_code == 429 and int(last["Retry-After"]) > 0


def test_repeat_reports_for_one_code_are_limited_across_ips(client, alice_code, settings):
    settings.KERYU_SCAN_POST_RATE_PER_CODE = "1/600"
    url = f"/scan/{alice_code.uuid}/"
    assert client.post(url, {"situation_type": "LOST"}, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post(url, {"situation_type": "LOST"}, REMOTE_ADDR="10.0.0.2").status_code == 302
    assert client.post(url, {"situation_type": "LOST"}, REMOTE_ADDR="10.0.0.3").status_code == 429


def test_first_report_for_a_code_is_never_blocked_even_from_a_busy_ip(client, alice_code, bob_subject, settings):
    from ..factories import QRCodeFactory

    settings.KERYU_SCAN_POST_RATE_PER_IP = "1/600"
    AlarmFactory(qr_code=alice_code)  # Alice's code already has an open report
    url = f"/scan/{alice_code.uuid}/"
    client.post(url, {"situation_type": "LOST"})
    assert client.post(url, {"situation_type": "LOST"}).status_code == 429
    bob_code = QRCodeFactory(subject=bob_subject)
    assert client.post(f"/scan/{bob_code.uuid}/", {"situation_type": "LOST"}).status_code == 302


def test_first_report_goes_through_when_the_cache_is_down(client, alice_code, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert client.get(f"/scan/{alice_code.uuid}/").status_code == 200
    assert client.post(f"/scan/{alice_code.uuid}/", {"situation_type": "INJURED"}).status_code == 302
    assert Alarm.objects.count() == 1


def test_probing_many_codes_from_one_ip_is_throttled(client, settings):
    settings.KERYU_SCAN_GET_RATE_PER_IP = "3/600"
    codes = [f"/scan/00000000-0000-4000-8000-00000000000{i}/" for i in range(5)]
    statuses = [client.get(url).status_code for url in codes]
    assert statuses == [404, 404, 404, 429, 429]
