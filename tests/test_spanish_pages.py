"""The pages and emails people read, rendered in Spanish, show none of our English.

"Our English" is every msgid of the Spanish catalogue whose translation differs, cut at its placeholders and
markup into the pieces a page would show (two words or more, so a word both languages share is not mistaken
for a leftover). A piece found in the page's text or in an attribute a person reads means a string was left
unmarked, or marked without its Spanish. The finder's pages follow the browser; a custodian's verification
email follows the language chosen at sign-up, whatever the browser was.
"""

from __future__ import annotations

import re
from functools import cache
from html import unescape
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.utils import translation

from accounts import services as accounts_services
from alerts.models import RecipientKind
from alerts.services import ack_token, alarm_create
from home.views import progress_token
from messaging.defaults import DEFAULTS
from messaging.services import message_compose, message_send

from .test_translations import CATALOGUE, po_entries

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|<[^>]+>|\{\w+\}|\n")


def english_pieces(texts: list[str]) -> set[str]:
    pieces = set()
    for text in texts:
        for piece in PLACEHOLDER.split(text):
            piece = " ".join(piece.split()).strip(" .,:;·()“”\"'")
            if len(piece.split()) >= 2:
                pieces.add(piece)
    return pieces


@cache
def our_english() -> frozenset[str]:
    entries = [e for e in po_entries(CATALOGUE.read_text()) if e.msgstr and e.msgstr[0] != e.msgid]
    return frozenset(english_pieces([e.msgid for e in entries]))


class _Readable(HTMLParser):
    READ = {"title", "alt", "placeholder", "aria-label", "value", "data-waiting", "data-done", "data-failed"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden += 1
        self.texts += [value for name, value in attrs if name in self.READ and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.texts.append(data)


def readable_text(html: str) -> str:
    parser = _Readable()
    parser.feed(html)
    return " ".join(" ".join(parser.texts).split())


def english_left_in(text: str, pieces: frozenset[str] | set[str] | None = None) -> list[str]:
    text = " ".join(unescape(text).split())
    return sorted(p for p in (our_english() if pieces is None else pieces) if p in text)


def assert_spanish(response_or_text, what: str) -> None:
    if isinstance(response_or_text, str):
        text = response_or_text
    else:
        assert response_or_text.status_code == 200, what
        text = readable_text(response_or_text.content.decode())
    left = english_left_in(text)
    assert not left, f"{what} shows English in Spanish: {left}"


# --- The checker sees English when it is there ------------------------------------------------------------


def test_the_english_pieces_come_from_our_catalogue_and_are_found_in_a_page():
    pieces = our_english()
    assert "Notify the family" in pieces and "Enter the code on the badge" in pieces
    assert "Emergency? Call" in pieces  # "Emergency? Call %(n)s", cut at its placeholder
    page = '<h1>Hola</h1><button title="Notify the family">Avisar</button><script>"Open map"</script>'
    left = english_left_in(readable_text(page))
    assert "Notify the family" in left and "Open map" not in left  # scripts are not read


# --- What a finder reads (the browser's language) -------------------------------------------------------------


def test_the_finders_scan_page_is_all_spanish(client, alice_code):
    assert_spanish(client.get(f"/scan/{alice_code.uuid}/", **SPANISH), "the scan page")


def test_the_finders_sent_page_is_all_spanish(client, alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST", description="En el parque")
    token = progress_token(alarm_id=alarm.pk, code=alice_code.uuid)
    assert_spanish(client.get(f"/scan/{alice_code.uuid}/sent/{token}/", **SPANISH), "the sent page")


def test_the_short_code_page_and_the_home_page_are_all_spanish(client, alice_code):
    assert_spanish(client.get("/c/", **SPANISH), "the short-code page")
    assert_spanish(client.get(f"/c/{alice_code.short_code}/", **SPANISH, follow=True), "a short code's page")


# --- What the family and the doctor read from the alarm's link --------------------------------------------


def test_the_custodians_acknowledgement_page_is_all_spanish_before_and_after(client, alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED", description="Se cayó del columpio")
    url = f"/alerts/ack/{ack_token(alarm.attempts.get(recipient_kind=RecipientKind.CUSTODIAN))}/"
    assert_spanish(client.get(url, **SPANISH), "the acknowledgement page")
    assert_spanish(client.post(url, {"note": "Voy"}, **SPANISH), "the acknowledged page")


def test_the_doctors_page_is_all_spanish(client, alice_subject, alice_code):
    alice_subject.doctor_name, alice_subject.doctor_phone = "Dra. Ruiz", "+525511112222"
    alice_subject.save()
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    url = f"/alerts/ack/{ack_token(alarm.attempts.get(recipient_kind=RecipientKind.DOCTOR))}/"
    assert_spanish(client.get(url, **SPANISH), "the doctor's page")


# --- Signing up and in -------------------------------------------------------------------------------------


def test_the_sign_up_and_sign_in_pages_are_all_spanish(client):
    assert_spanish(client.get("/accounts/signup/", **SPANISH), "the sign-up page")
    assert_spanish(client.get("/admin/login/", **SPANISH), "the sign-in page")


def test_the_verification_email_follows_the_language_chosen_at_sign_up_not_the_browser():
    user = accounts_services.registration_create(
        first_name="Carla",
        last_name="Campos",
        email="carla@example.com",
        password="violet-harbour-lantern-42",
        e164="+525512345678",
        language="es",
    )
    mail.outbox.clear()
    with translation.override("en"):  # an English browser
        accounts_services.email_token_send(user=user)
    email = mail.outbox[-1]
    html = email.alternatives[0][0]
    assert "Verifica" in email.subject and "Hola, Carla" in email.body
    for part, text in (("subject", email.subject), ("text", email.body), ("html", readable_text(html))):
        assert_spanish(text, f"the verification email's {part}")


def test_the_alarm_email_is_all_spanish(mailoutbox):
    context = {
        "subject_name": "Sofía",
        "situation": "Perdido",
        "location": "Parque México",
        "description": "Junto a la fuente",
        "timestamp": "2026-11-21 18:30",
        "maps_url": "https://maps.google.com/?q=1,2",
        "ack_url": "https://keryu.example/ack/abc/",
    }
    message_send(
        message=message_compose(kind="LOST", language="es", channel="email", to="a@example.com", context=context)
    )
    email = mailoutbox[-1]
    english_default = english_pieces(list(DEFAULTS[("LOST", "en")]))
    for part, text in (("subject", email.subject), ("text", email.body), ("html", email.alternatives[0][0])):
        assert_spanish(readable_text(text), f"the alarm email's {part}")
        left = english_left_in(readable_text(text), english_default)
        assert not left, f"the alarm email's {part} keeps the English message: {left}"
