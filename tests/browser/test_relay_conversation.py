"""Issue 15's "done when": a finder scans and reports, the custodian opens the acknowledgement page from their
message, acknowledges and writes, the finder sees it and replies, the custodian sees the reply; in English and
in Spanish (each side's browser asks for its language), neither side ever shown the other's number.

Chromium against the live server; the alarm's delivery runs in the test, everything else is clicked. Screens go
to var/screenshots/docs/ (docs/images/relay-*.png with KERYU_DOCS_SCREENSHOTS=1, see test_docs_screenshots)."""

from __future__ import annotations

import pytest

from alerts.models import Alarm, RelayMessage
from alerts.services import ack_url, attempt_deliver

from .test_docs_screenshots import shot

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = {
    "en": {
        "locale": "en-US",
        "lost": "Lost: cannot find their family",
        "where": "Where are you?",
        "send": "Notify the family",
        "acknowledge": "I have seen this: acknowledge",
        "acknowledged": "Acknowledged.",
        "family_box": "Write to the person who found them",
        "family_send": "Send to the finder",
        "family_says": "I'm on my way, 10 minutes. Please stay with her by the fountain.",
        "family_who": "Alice (a family member)",
        "finder_box": "Write to the family",
        "finder_send": "Send to the family",
        "finder_says": "We are at the north gate, she is calm and drinking water.",
        "finder_who": "The finder",
        "you": "You",
    },
    "es": {
        "locale": "es-MX",
        "lost": "Perdido: no encuentra a su familia",
        "where": "¿Dónde estás?",
        "send": "Avisar a la familia",
        "acknowledge": "Ya lo vi: confirmar",
        "acknowledged": "Confirmado.",
        "family_box": "Escríbele a quien lo encontró",
        "family_send": "Enviar a quien lo encontró",
        "family_says": "Voy en camino, 10 minutos. Por favor quédate con ella junto a la fuente.",
        "family_who": "Alice (un familiar)",
        "finder_box": "Escríbele a la familia",
        "finder_send": "Enviar a la familia",
        "finder_says": "Estamos en la puerta norte, está tranquila y tomando agua.",
        "finder_who": "Quien lo encontró",
        "you": "Tú",
    },
}


def _phone(browser, locale: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale=locale)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


@pytest.mark.parametrize("language", ["en", "es"])
def test_finder_and_custodian_hold_a_masked_conversation(browser, live_server, alice_code, language):
    text = TEXTS[language]
    finder_context, finder = _phone(browser, text["locale"])
    finder.goto(f"{live_server.url}/scan/{alice_code.uuid}/")
    finder.get_by_label(text["lost"]).check()
    finder.get_by_label(text["where"]).fill("Parque México")
    finder.get_by_role("button", name=text["send"]).click()
    finder.wait_for_url("**/sent/**")

    attempt = attempt_deliver(attempt_id=Alarm.objects.get().attempts.get().pk)
    family_context, family = _phone(browser, text["locale"])
    family.goto(ack_url(attempt).replace("http://testserver", live_server.url))
    family.get_by_role("button", name=text["acknowledge"]).click()
    family.get_by_text(text["acknowledged"]).first.wait_for()
    family.get_by_label(text["family_box"]).fill(text["family_says"])
    family.get_by_role("button", name=text["family_send"]).click()
    family.locator("#messages, .messages").get_by_text(text["family_says"]).wait_for()
    assert family.locator(".messages li.ours .who").first.inner_text() == text["you"]
    family.locator("#conversation").scroll_into_view_if_needed()
    shot(family, f"relay-1-family-writes-{language}", full_page=True)

    # The finder's page shows it without a reload (it polls its status URL), by first name and role.
    finder.locator("#messages").get_by_text(text["family_says"]).wait_for()
    assert finder.locator("#messages li.theirs .who").first.inner_text() == text["family_who"]
    shot(finder, f"relay-2-finder-reads-{language}", full_page=True)
    finder.get_by_label(text["finder_box"]).fill(text["finder_says"])
    finder.get_by_role("button", name=text["finder_send"]).click()
    finder.locator("#messages li.ours").get_by_text(text["finder_says"]).wait_for()
    shot(finder, f"relay-3-finder-replies-{language}", full_page=True)

    family.reload()
    family.locator(".messages li.theirs").get_by_text(text["finder_says"]).wait_for()
    assert family.locator(".messages li.theirs .who").first.inner_text() == text["finder_who"]
    shot(family, f"relay-4-family-reads-{language}", full_page=True)

    # Masked: the finder's page carries none of the custodian's addresses.
    custodian = alice_code.subject.custodian
    phone = str(custodian.phone_number)
    finder_html = finder.content()
    for address in filter(None, (phone, phone[3:], custodian.user.email)):
        assert address not in finder_html
    assert RelayMessage.objects.count() == 2
    finder_context.close()
    family_context.close()
