"""An editor changes the scan page's emergency number in Wagtail, publishes, and finders see it at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from home.models import ScanPage

from .conftest import login_browser

pytestmark = pytest.mark.django_db(transaction=True)


def test_editor_changes_the_emergency_number_and_the_scan_page_shows_it(desktop, live_server, editor, alice_code):
    scan_page = ScanPage.objects.get()
    login_browser(desktop, live_server.url, editor)
    desktop.goto(f"{live_server.url}/admin/pages/{scan_page.pk}/edit/")
    desktop.get_by_role("textbox", name="Emergency number").fill("066")
    desktop.get_by_role("button", name="More actions").click()
    desktop.get_by_role("button", name="Publish").click()
    desktop.get_by_text("has been published").wait_for()

    assert ScanPage.objects.get().emergency_number == "066"
    desktop.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    expect(desktop.get_by_role("link", name="Emergency? Call 066")).to_be_visible()
