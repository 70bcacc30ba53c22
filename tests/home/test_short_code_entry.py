"""The way in without a camera: the home page takes a badge's short code and opens its scan page."""

from __future__ import annotations

import subprocess

import pytest

from alerts.models import InactiveCodeScan
from registry.badges import badge_sheet_pdf
from tests.factories import QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_asks_for_the_code_on_the_badge(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enter the code on the badge" in html and 'action="/c/"' in html


def test_the_home_page_asks_in_spanish(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Escribe el código de la credencial" in html


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {a}-{b} ", "{a} {b}"])
def test_a_typed_code_opens_its_scan_page(client, alice_code, typed):
    code = alice_code.short_code
    text = typed.format(code=code, lower=code.lower(), a=code[:4], b=code[4:])
    response = client.get("/c/", {"code": text})
    assert response.status_code == 302
    assert response["Location"] == f"/scan/{alice_code.uuid}/"


def test_the_printed_address_opens_the_scan_page_too(client, alice_code):
    response = client.get(f"/c/{alice_code.short_code.lower()}/")
    assert response["Location"] == f"/scan/{alice_code.uuid}/"


def test_unknown_and_inactive_codes_read_the_same_and_the_custodian_hears_of_the_inactive_one(client, alice_subject):
    inactive = QRCodeFactory(subject=alice_subject, is_active=False)
    unknown = client.get("/c/", {"code": "00000000" if inactive.short_code != "00000000" else "11111111"})
    off = client.get("/c/", {"code": inactive.short_code})
    assert unknown.status_code == off.status_code == 404
    assert "No badge with this code can be reached" in off.content.decode()
    assert str(inactive.uuid) not in off.content.decode()
    assert InactiveCodeScan.objects.filter(qr_code=inactive).count() == 1


def test_not_a_code_at_all_is_refused_without_a_lookup(client):
    response = client.get("/c/", {"code": "<script>"})
    assert response.status_code == 404
    assert "<script>" not in response.content.decode()


def test_typing_codes_is_rate_limited_like_scans(client, alice_code, settings):
    settings.KERYU_SHORT_CODE_RATE_PER_IP = "3/600"
    for n in range(3):
        assert client.get("/c/", {"code": f"ABCDEF0{n}"}).status_code == 404
    refused = client.get("/c/", {"code": alice_code.short_code})
    assert refused.status_code == 429 and "Retry-After" in refused


def test_the_badge_prints_the_chosen_name_the_short_url_code_and_sms_number(settings, tmp_path):
    settings.KERYU_SHORT_URL = "keryu.example"
    settings.KERYU_SMS_NUMBER = "+525500001234"
    subject = SubjectFactory(name="Abuelo Tomás Quintana")
    code = QRCodeFactory(subject=subject)
    (tmp_path / "b.pdf").write_bytes(badge_sheet_pdf([code]))
    text = subprocess.run(["pdftotext", str(tmp_path / "b.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Abuelo Tomás Quintana" in text  # the full name by default, not the first word
    assert f"keryu.example/c/{code.short_code}" in text
    assert code.short_code in text and "+525500001234" in text
    subject.display_name = "Abuelo Tomás"
    subject.save()
    code.refresh_from_db()
    (tmp_path / "c.pdf").write_bytes(badge_sheet_pdf([code]))
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Abuelo Tomás" in text and "Quintana" not in text
