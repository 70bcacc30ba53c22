"""Finders on phones: with geolocation, with JavaScript off, and in Spanish."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from alerts.models import Alarm
from messaging.models import Message
from messaging.services import channel_order_set
from testkit.celery_worker import running_worker, wait_for
from testkit.fakes.worker_env import worker_env

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.worker
def test_finder_reports_lost_with_location_and_watches_the_family_get_it_and_answer(
    browser, live_server, alice, alice_code, fake_twilio, settings
):
    """The whole journey with real parts: Chromium with geolocation, the live server, a real Celery worker,
    the Twilio adapter talking to the local fake, the fake's signed status callback, and the custodian's
    acknowledgement link opened on another phone."""
    channel_order_set(keys=["twilio_sms", "development"])
    settings.TWILIO_STATUS_CALLBACK_BASE_URL = live_server.url
    env = worker_env(settings, KERYU_PUBLIC_BASE_URL=live_server.url)
    finder = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="en-US",
        geolocation={"latitude": 19.4118, "longitude": -99.1697}, permissions=["geolocation"],
    )  # fmt: skip
    page = finder.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    page.get_by_label("Lost: cannot find their family").check()
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Location added. Thank you.").wait_for()
    page.get_by_label("Details").fill("Crying near the fountain, red jacket")

    with running_worker(env=env) as worker:
        page.get_by_role("button", name="Notify the family").click()
        page.wait_for_url("**/sent/**")
        alarm = Alarm.objects.get()
        assert (alarm.situation_type, alarm.latitude, alarm.longitude) == (
            "LOST", Decimal("19.411800"), Decimal("-99.169700")
        )  # fmt: skip
        try:
            wait_for(lambda: fake_twilio.requests, timeout=20)
        except AssertionError:
            raise AssertionError("the fake got nothing; worker said:\n" + worker.output) from None
        [request] = fake_twilio.requests
        body = request.form["Body"]
        assert request.form["To"] == "+521" + str(alice.custodian.phone_number)[3:]  # Mexican mobiles: +52 1
        assert "Sofía" in body and "red jacket" in body and "maps.google.com/?q=19.411800,-99.169700" in body
        page.locator('[data-step="notified"].done').wait_for()  # the page polls and updates itself

    message = Message.objects.get()
    assert fake_twilio.send_status(f"{live_server.url}/webhooks/twilio/?message={message.pk}",
                                   message.provider_message_id, "delivered") == 200  # fmt: skip
    page.locator('[data-step="delivered"].done').wait_for()
    assert not page.locator('[data-step="acknowledged"].done').count()

    # The custodian opens the link in the message on their own phone and answers.
    ack_link = re.search(r"https?://\S+/alerts/ack/\S+/", body).group(0)
    custodian = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="es-MX")
    their_phone = custodian.new_page()
    their_phone.goto(ack_link)
    their_phone.get_by_label("Una nota breve para quien lo encontró (opcional)").fill("Voy en camino, 10 min")
    their_phone.get_by_role("button", name="Ya lo vi: confirmar").click()
    their_phone.get_by_text("Confirmado.").wait_for()
    custodian.close()

    page.locator('[data-step="acknowledged"].done').wait_for()
    page.get_by_text("Voy en camino, 10 min").wait_for()
    screenshot(page, "scan-sent-en")
    alarm.refresh_from_db()
    assert alarm.acknowledged_via == "link" and alarm.acknowledgement_note == "Voy en camino, 10 min"
    finder.close()


def test_finder_without_javascript_types_the_location(browser, live_server, alice_code):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    expect(page.get_by_role("button", name="Use my location")).not_to_be_visible()  # JS-only control stays hidden
    page.get_by_label("Hurt or unwell: needs help now").check()
    page.get_by_label("Where are you?").fill("Av. Insurgentes 300")
    page.get_by_role("button", name="Notify the family").click()
    page.wait_for_url("**/sent/**")
    expect(page.get_by_text("Refresh to see the latest progress")).to_be_visible()
    assert Alarm.objects.get().situation_type == "INJURED"
    context.close()


def test_finder_in_spanish(browser, live_server, alice_code):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-MX", is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    expect(page.get_by_role("heading", name="Encontraste a Sofía")).to_be_visible()
    screenshot(page, "scan-form-es")
    page.get_by_label("Perdido: no encuentra a su familia").check()
    page.get_by_label("¿Dónde estás?").fill("Parque México")
    page.get_by_role("button", name="Avisar a la familia").click()
    page.wait_for_url("**/sent/**")
    expect(page.get_by_text("Gracias. Estamos avisando a la familia ahora mismo.")).to_be_visible()
    screenshot(page, "scan-sent-es")
    context.close()
