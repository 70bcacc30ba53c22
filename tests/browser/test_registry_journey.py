"""A custodian registers a person, generates and activates a code, and downloads the badge sheet."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.models import QRCode, Subject

from .conftest import SCREENSHOTS, login_browser, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_custodian_creates_a_subject_activates_a_code_and_downloads_the_badge(live_server, desktop, alice):
    page = desktop
    # Her console speaks her profile's language: English here, as the labels below read.
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")
    # Password and second factor are the accounts journey's subject; here Alice starts signed in.
    login_browser(page, live_server.url, alice)
    page.goto(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/snippets/registry/subject/add/")
    page.fill("input[name=name]", "Lucía Arroyo")
    page.fill("textarea[name=allergies]", "Peanuts")
    page.fill("input[name=public_message]", "Lucía habla poco: llame a su mamá, por favor.")
    page.check("input[name=share_allergies]")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_url("**/admin/snippets/registry/subject/")
    subject = Subject.objects.get(name="Lucía Arroyo")
    assert subject.custodian == alice.custodian and subject.allergies == "Peanuts"

    page.goto(f"{live_server.url}/admin/snippets/registry/subject/inspect/{subject.pk}/")
    page.locator("[data-keryu-generate]").click()
    page.wait_for_url("**/admin/snippets/registry/qrcode/inspect/*/")
    code = QRCode.objects.get(subject=subject)
    assert code.is_active  # the subject's first code is switched on at once

    # Off and on again from the list's toggle: the status badge follows.
    page.goto(f"{live_server.url}/admin/snippets/registry/qrcode/")
    toggle = page.locator(f'[data-keryu-toggle="{code.short_code}"]')
    with page.expect_navigation():
        toggle.click()
    with page.expect_navigation():  # switching off asks first
        page.locator("[data-keryu-confirm-deactivate]").click()
    assert toggle.inner_text().strip() == "Activate"
    code.refresh_from_db()
    assert not code.is_active
    with page.expect_navigation():
        toggle.click()
    assert toggle.inner_text().strip() == "Deactivate"
    code.refresh_from_db()
    assert code.is_active
    screenshot(page, "registry-qr-list")

    page.goto(f"{live_server.url}/admin/snippets/registry/qrcode/inspect/{code.pk}/")
    screenshot(page, "registry-qr-inspect")
    with page.expect_download() as info:
        page.locator("[data-keryu-badge]").click()
    pdf_path = SCREENSHOTS / "registry-badge.pdf"
    info.value.save_as(str(pdf_path))
    assert Path(pdf_path).read_bytes().startswith(b"%PDF")
    assert info.value.suggested_filename == f"keryu-badge-{code.short_code}.pdf"
