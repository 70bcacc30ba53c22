"""Finders on phones: with geolocation, with JavaScript off, and in Spanish."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alerts.models import Alarm, NotificationStatus

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_finder_shares_location_and_sees_progress_turn_to_delivered(browser, live_server, alice_code):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
        geolocation={"latitude": 19.4118, "longitude": -99.1697}, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    page.get_by_label("Lost: cannot find their family").check()
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Location added. Thank you.").wait_for()
    page.get_by_role("button", name="Notify the family").click()
    page.wait_for_url("**/sent/**")
    alarm = Alarm.objects.get()
    assert (alarm.latitude, alarm.longitude) == (Decimal("19.411800"), Decimal("-99.169700"))
    alarm.attempts.update(status=NotificationStatus.DELIVERED)
    page.locator('[data-step="delivered"].done').wait_for()  # the page polls and updates itself
    screenshot(page, "scan-sent-en")
    context.close()


def test_finder_without_javascript_types_the_location(browser, live_server, alice_code):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    assert not page.get_by_role("button", name="Use my location").is_visible()  # JS-only control stays hidden
    page.get_by_label("Hurt or unwell: needs help now").check()
    page.get_by_label("Where are you?").fill("Av. Insurgentes 300")
    page.get_by_role("button", name="Notify the family").click()
    page.wait_for_url("**/sent/**")
    assert page.get_by_text("Refresh to see the latest progress").is_visible()
    assert Alarm.objects.get().situation_type == "INJURED"
    context.close()


def test_finder_in_spanish(browser, live_server, alice_code):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-MX", is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    assert page.get_by_role("heading", name="Encontraste a Sofía").is_visible()
    screenshot(page, "scan-form-es")
    page.get_by_label("Perdido: no encuentra a su familia").check()
    page.get_by_label("¿Dónde estás?").fill("Parque México")
    page.get_by_role("button", name="Avisar a la familia").click()
    page.wait_for_url("**/sent/**")
    assert page.get_by_text("Gracias. Estamos avisando a la familia ahora mismo.").is_visible()
    screenshot(page, "scan-sent-es")
    context.close()
