"""A finder's page walks through what is true, in English and in Spanish: report received, the family being
contacted, the message delivered to a family member, acknowledged by them with a note, and closed.

Chromium against the live server; the delivery steps run in the test (the attempt delivered on a channel that
sends receipts, the receipt applied as a provider webhook would), the acknowledgement through the link in the
custodian's message, on their own phone. The finder's page only polls its status URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alerts.models import Alarm
from alerts.services import ack_url, alarm_resolve, attempt_deliver
from messaging.channels import REGISTRY
from messaging.channels.base import Channel, OutboundMessage, SendResult
from messaging.models import MessageStatus
from messaging.services import message_status_apply

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


class ReceiptsChannel(Channel):
    """A provider that accepts the message and reports delivery later (like SMS and WhatsApp do)."""

    key = "receipts"

    def is_configured(self) -> bool:
        return True

    def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(provider_message_id=f"receipt-{message.message_id}")


TEXTS = {
    "en": {
        "locale": "en-US",
        "lost": "Lost: cannot find their family",
        "where": "Where are you?",
        "send": "Notify the family",
        "notifying": "Thank you. The family is being notified now.",
        "contacted": "The family is being contacted",
        "delivered": "Message delivered to a family member",
        "acknowledged": "Acknowledged by a family member: they know and are on it.",
        "note": "Message from a family member: “Voy en camino, 10 min”",
        "closed": "This alarm is closed. Thank you for your help.",
        "stay": "Please stay with the person if you can.",
    },
    "es": {
        "locale": "es-MX",
        "lost": "Perdido: no encuentra a su familia",
        "where": "¿Dónde estás?",
        "send": "Avisar a la familia",
        "notifying": "Gracias. Estamos avisando a la familia ahora mismo.",
        "contacted": "Estamos contactando a la familia",
        "delivered": "Lo recibió un familiar",
        "acknowledged": "Confirmado por un familiar: ya lo saben y se están encargando.",
        "note": "Mensaje (un familiar): “Voy en camino, 10 min”",
        "closed": "Esta alarma está cerrada. Gracias por tu ayuda.",
        "stay": "Si puedes, quédate con la persona.",
    },
}


@pytest.fixture
def receipts(settings):
    REGISTRY[ReceiptsChannel.key] = ReceiptsChannel
    settings.KERYU_CHANNEL_ORDER = [ReceiptsChannel.key]
    yield
    REGISTRY.pop(ReceiptsChannel.key, None)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_finders_page_follows_the_family_from_notified_to_acknowledged(
    browser, live_server, alice, alice_code, receipts, language
):
    text = TEXTS[language]
    finder = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale=text["locale"]
    )
    page = finder.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    page.get_by_label(text["lost"]).check()
    page.get_by_label(text["where"]).fill("Parque México")
    page.get_by_role("button", name=text["send"]).click()
    page.wait_for_url("**/sent/**")
    expect(page.get_by_role("heading", name=text["notifying"])).to_be_visible()
    screenshot(page, f"finder-progress-1-received-{language}")

    attempt = Alarm.objects.get().attempts.get()
    attempt = attempt_deliver(attempt_id=attempt.pk)  # the provider accepted it: the family is being contacted
    page.locator('[data-step="notified"].done').wait_for()
    page.get_by_text(text["contacted"]).wait_for()
    assert not page.locator('[data-step="delivered"].done').count()  # no receipt yet: not "delivered"
    screenshot(page, f"finder-progress-2-notified-{language}")

    message_status_apply(provider_message_id=attempt.message.provider_message_id, status=MessageStatus.DELIVERED)
    page.locator('[data-step="delivered"].done').get_by_text(text["delivered"]).wait_for()
    screenshot(page, f"finder-progress-3-delivered-{language}")

    # The custodian opens the link in their message on their own phone and answers (their language: Spanish).
    custodian = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="es-MX")
    their_phone = custodian.new_page()
    their_phone.goto(ack_url(attempt).replace("http://testserver", live_server.url))
    their_phone.get_by_label("Una nota breve para quien lo encontró (opcional)").fill("Voy en camino, 10 min")
    their_phone.get_by_role("button", name="Ya lo vi: confirmar").click()
    their_phone.get_by_text("Confirmado.").wait_for()
    custodian.close()

    page.get_by_role("heading", name=text["acknowledged"]).wait_for()
    page.get_by_text(text["note"]).wait_for()
    assert page.locator('[data-step="acknowledged"].done').count() == 1
    screenshot(page, f"finder-progress-4-acknowledged-{language}")

    alarm_resolve(alarm=Alarm.objects.get(), user=alice, notes="En casa")
    page.get_by_role("heading", name=text["closed"]).wait_for()
    assert page.get_by_text(text["note"]).is_visible() and not page.get_by_text("En casa").count()
    expect(page.get_by_text(text["stay"])).not_to_be_visible()  # closed: nothing left to wait or stay for
    screenshot(page, f"finder-progress-5-closed-{language}")
    finder.close()
