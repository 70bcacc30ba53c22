"""A finder on a phone reports a lost person from the scan page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alerts.models import Alarm

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_finder_reports_lost_person_with_typed_location(live_server, mobile, alice_code):
    mobile.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    expect(mobile.get_by_role("heading", name="You found Sofía")).to_be_visible()
    screenshot(mobile, "scan-form-en")
    mobile.get_by_label("Lost: cannot find their family").check()
    mobile.get_by_label("Where are you?").fill("Parque México, near the fountain")
    mobile.get_by_role("button", name="Notify the family").click()
    mobile.wait_for_url(f"**/scan/{alice_code.uuid}/sent/**")
    expect(mobile.get_by_text("The family is being notified now")).to_be_visible()
    alarm = Alarm.objects.get()
    assert alarm.situation_type == "LOST" and alarm.location == "Parque México, near the fountain"
