"""The masked two-way relay between finder and family (issue 15, item 3): the family writes from the
acknowledgement page or by replying once the alarm is acknowledged; the finder reads it on their page or by text
and answers from either; no number or email crosses unless its owner shares it; limits on both sides; every
message on the timeline, its text purged with the finder's data; nobody reads or writes another family's."""

from __future__ import annotations

import itertools
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alerts.models import RELAY_PAGE_ONLY, Alarm, NoticeStatus, RelayDirection, RelayMessage, ScanEvent
from alerts.selectors import alarm_timeline
from alerts.services import alarm_acknowledge, attempt_deliver
from alerts.services.delivery import ack_token
from alerts.services.maintenance import scanner_data_purge
from alerts.services.relay import RELAY_MAX, relay_from_family, relay_send
from messaging.models import InboundMessage, Message
from messaging.services import inbound_record
from tests.factories import QRCodeFactory

pytestmark = pytest.mark.django_db
SMS_FINDER = "+525566778899"
WEB_FINDER = "+525543218765"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _report(client, code, **data) -> str:
    """A finder's report from the scan page; the URL of their progress page."""
    response = client.post(f"/scan/{code.uuid}/", {"situation_type": "LOST", "location": "Metro", **data})
    assert response.status_code == 302
    return response.url


def _deliver(alarm: Alarm) -> None:
    for pk in alarm.attempts.filter(status="PENDING", not_before__isnull=True).values_list("pk", flat=True):
        attempt_deliver(attempt_id=pk)


def _ack_url(attempt) -> str:
    return reverse("alerts_acknowledge", kwargs={"token": ack_token(attempt)})


def _page(client, url: str) -> str:
    return unescape(client.get(url).content.decode())


def _text(from_address: str, body: str) -> InboundMessage:
    """A text to Keryu's number, recorded and answered as the Twilio webhook does."""
    message = inbound_record(
        channel="twilio_sms", from_address=from_address, body=body, provider_message_id=f"SMrelay{next(_ids)}"
    )
    assert message is not None
    message.refresh_from_db()
    return message


def _send_pending() -> list[Message]:
    for pk in RelayMessage.objects.filter(status=NoticeStatus.PENDING).values_list("pk", flat=True):
        relay_send(relay_id=pk)
    return [r.message for r in RelayMessage.objects.select_related("message").order_by("pk") if r.message]


def _custodian_addresses(code) -> list[str]:
    custodian = code.subject.custodian
    phone = str(custodian.phone_number)
    return [phone, phone.lstrip("+"), phone[3:], custodian.user.email]


# --- On the web, both ways -----------------------------------------------------------------------------------


def test_the_family_writes_from_the_acknowledgement_page_and_the_finder_answers_from_theirs(client, alice_code):
    finder_page = _report(client, alice_code, finder_phone="55 4321 8765")
    alarm = Alarm.objects.get()
    _deliver(alarm)
    custodian = alarm.attempts.get(recipient_kind="custodian")
    ack = _ack_url(custodian)
    assert "Once the alarm is acknowledged you can write to the finder here." in _page(client, ack)
    client.post(ack, {"note": ""})  # acknowledges
    response = client.post(ack, {"relay": "1", "text": "Voy en camino, por favor quédate con ella."})
    assert response.status_code == 302 and response.url.endswith("#conversation")

    page = _page(client, finder_page)
    assert "Voy en camino, por favor quédate con ella." in page and "Alice (a family member)" in page
    response = client.post(finder_page + "relay/", {"text": "Estamos en la entrada norte del metro."})
    assert response.status_code == 302
    family = _page(client, ack)
    assert "Estamos en la entrada norte del metro." in family and "The finder" in family
    status = client.get(finder_page + "status/").json()
    assert [(m["who"], m["mine"]) for m in status["messages"]] == [("Alice (a family member)", False), ("You", True)]

    # Masked both ways: no number or email of the other side on either page, nor in the texts sent.
    for address in _custodian_addresses(alice_code):
        assert address not in page and address not in _page(client, finder_page)
    assert WEB_FINDER not in family and "43218765" not in family
    to_finder, to_family = _send_pending()
    assert (to_finder.kind, to_finder.to) == ("RELAY_TO_FINDER", WEB_FINDER)  # the finder left a number
    assert "Alice (un familiar)" in to_finder.content and "Voy en camino" in to_finder.content
    assert not any(a in to_finder.content for a in _custodian_addresses(alice_code))
    assert (to_family.kind, to_family.to) == ("RELAY_TO_FAMILY", str(alice_code.subject.custodian.phone_number))
    assert "entrada norte" in to_family.content and WEB_FINDER not in to_family.content
    assert to_finder.owner is None  # the finder's number stays out of the family's message log


def test_before_acknowledgement_nobody_on_the_family_side_writes_to_the_finder(alice_code, contacts):
    from alerts.services import alarm_create

    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED", finder_phone=WEB_FINDER)
    with pytest.raises(ValidationError, match="Acknowledge the alarm first"):
        relay_from_family(attempt=alarm.attempts.get(recipient_kind="custodian"), text="Hola")
    assert not RelayMessage.objects.exists()


def test_a_family_member_shares_their_number_only_when_they_tick_the_box(client, alice_code):
    finder_page = _report(client, alice_code)
    alarm = Alarm.objects.get()
    custodian = alarm.attempts.get(recipient_kind="custodian")
    ack = _ack_url(custodian)
    client.post(ack, {"note": "Voy"})
    client.post(ack, {"relay": "1", "text": "Primero sin número"})
    phone = str(alice_code.subject.custodian.phone_number)
    assert phone not in _page(client, finder_page)
    client.post(ack, {"relay": "1", "text": "Llámame si quieres", "share_number": "on"})
    page = _page(client, finder_page)
    assert f"Their number: {phone}" in page
    assert page.count(phone) == 1  # on the message it was shared with, not the first one
    assert RelayMessage.objects.filter(shared_contact="").count() == 1  # the unshared one stored no number


def test_the_finder_number_reaches_the_family_only_when_the_finder_shares_it(client, alice_code):
    _report(client, alice_code, finder_name="Ana", finder_phone="55 4321 8765")
    alarm = Alarm.objects.get()
    _deliver(alarm)
    ack = _ack_url(alarm.attempts.get(recipient_kind="custodian"))
    assert "43218765" not in _page(client, ack)
    assert "43218765" not in Message.objects.get(kind="LOST").content and "Ana" in Message.objects.get().content

    _report(client, alice_code, finder_phone="55 1111 2222", finder_phone_shared="on")  # a second finder shares
    assert ScanEvent.objects.get().finder_phone_shared
    assert "Call +525511112222" in _page(client, ack)


# --- By text, both ways --------------------------------------------------------------------------------------


def test_after_acknowledgement_a_texted_reply_goes_to_the_texting_finder_and_their_answer_comes_back(alice_code):
    finder_answer = _text(SMS_FINDER, f"{alice_code.short_code} perdido").auto_reply
    assert "Estamos avisando" in finder_answer
    alarm = Alarm.objects.get()
    _deliver(alarm)
    custodian_phone = str(alice_code.subject.custodian.phone_number)

    before = _text(custodian_phone, "¿Dónde están exactamente?")  # not yet acknowledged: a note, and the options
    assert "Responde VOY" in before.auto_reply
    assert not RelayMessage.objects.exists()
    _text(custodian_phone, "OK")
    assert Alarm.objects.get().acknowledged_at is not None
    answer = _text(custodian_phone, "Llego en 10 minutos, gracias por cuidarla").auto_reply
    assert answer == "Keryu: pasamos tu mensaje a quien lo encontró. Sus respuestas llegarán desde este número."

    (to_finder,) = _send_pending()
    relay = RelayMessage.objects.get()
    assert (relay.direction, relay.via, relay.sender_role) == (RelayDirection.TO_FINDER, "twilio_sms", "custodian")
    assert to_finder.to == SMS_FINDER and "Llego en 10 minutos" in to_finder.content
    assert "Alice (un familiar)" in to_finder.content and custodian_phone not in to_finder.content

    # The finder answers the relayed text (any text that is not a short code): it goes to the custodian.
    finder_answer = _text(SMS_FINDER, "Gracias, estamos en la farmacia de la esquina").auto_reply
    assert "a la familia" in finder_answer
    to_family = _send_pending()[-1]
    assert to_family.to == custodian_phone and "farmacia de la esquina" in to_family.content
    assert SMS_FINDER not in to_family.content and "/alerts/ack/" in to_family.content
    # The texting finder's number is not shown on the family's page: they did not choose to share it.
    page_text = RelayMessage.objects.filter(direction=RelayDirection.TO_FAMILY).get()
    assert page_text.family_key == f"custodian:{alice_code.subject.custodian.pk}"


def test_a_finder_who_texted_can_write_first_and_a_stranger_changes_nothing(alice_code):
    _text(SMS_FINDER, f"{alice_code.short_code} perdido")
    answer = _text(SMS_FINDER, "Está conmigo en el parque").auto_reply
    assert "a la familia" in answer
    assert RelayMessage.objects.get().status == RELAY_PAGE_ONLY  # nobody of the family wrote yet: the page
    stranger = _text("+525500000001", "hola").auto_reply
    assert "no tiene una alarma abierta" in stranger
    assert RelayMessage.objects.count() == 1


# --- Limits --------------------------------------------------------------------------------------------------


def test_length_and_rate_limits_refuse_with_a_clear_error_on_both_sides(client, alice_code, settings):
    settings.KERYU_RELAY_RATE = "2/600"
    finder_page = _report(client, alice_code)
    alarm = Alarm.objects.get()
    ack = _ack_url(alarm.attempts.get(recipient_kind="custodian"))
    client.post(ack, {"note": ""})

    too_long = client.post(finder_page + "relay/", {"text": "x" * (RELAY_MAX + 1)})
    assert too_long.status_code == 400 and "at most 500 characters" in unescape(too_long.content.decode())
    for n in range(2):
        assert client.post(finder_page + "relay/", {"text": f"mensaje {n}"}).status_code == 302
    refused = client.post(finder_page + "relay/", {"text": "uno más"})
    assert refused.status_code == 400 and "Too many messages" in unescape(refused.content.decode())

    for n in range(2):
        assert client.post(ack, {"relay": "1", "text": f"familia {n}"}).status_code == 302
    page = unescape(client.post(ack, {"relay": "1", "text": "otra"}).content.decode())
    assert "Too many messages" in page
    assert RelayMessage.objects.count() == 4


def test_a_texted_message_over_the_limit_is_answered_with_the_reason(alice_code, settings):
    settings.KERYU_RELAY_RATE = "1/600"
    _text(SMS_FINDER, f"{alice_code.short_code} perdido")
    assert "a la familia" in _text(SMS_FINDER, "uno").auto_reply
    answer = _text(SMS_FINDER, "dos").auto_reply
    assert "Demasiados mensajes" in answer
    assert RelayMessage.objects.count() == 1


# --- The record: timeline, purge -----------------------------------------------------------------------------


def test_every_relayed_message_is_on_the_alarm_timeline_with_how_it_went(client, alice_code):
    finder_page = _report(client, alice_code, finder_phone="55 4321 8765")
    alarm = Alarm.objects.get()
    ack = _ack_url(alarm.attempts.get(recipient_kind="custodian"))
    client.post(ack, {"note": ""})
    client.post(ack, {"relay": "1", "text": "Marcador familia", "share_number": "on"})
    client.post(finder_page + "relay/", {"text": "Marcador finder"})
    _send_pending()
    texts = [e.text for e in alarm_timeline(alarm=alarm) if e.kind == "relay"]
    assert texts == [
        "Message: Alice (custodian) to the finder, via the web page (shared their number); texted via Development (recorded, not sent): "
        "Marcador familia",
        "Message: The finder to the family, via the web page; texted via Development (recorded, not sent): Marcador finder",
    ]
    assert not any(str(alice_code.subject.custodian.phone_number) in t for t in texts)


def test_relayed_texts_are_finder_data_purged_on_its_schedule(client, alice_code, settings):
    finder_page = _report(client, alice_code, finder_phone="55 4321 8765")
    alarm = Alarm.objects.get()
    ack = _ack_url(alarm.attempts.get(recipient_kind="custodian"))
    client.post(ack, {"note": ""})
    client.post(ack, {"relay": "1", "text": "Zafiro secreto de la familia", "share_number": "on"})
    client.post(finder_page + "relay/", {"text": "Ámbar secreto del finder"})
    _send_pending()
    scanner_data_purge()
    assert RelayMessage.objects.exclude(text="").count() == 2  # recent: kept

    past = timezone.now() - timedelta(days=settings.KERYU_SCANNER_DATA_RETENTION_DAYS + 1)
    RelayMessage.objects.update(created_at=past)
    scanner_data_purge()
    phone = str(alice_code.subject.custodian.phone_number)
    for relay in RelayMessage.objects.all():
        assert (relay.text, relay.shared_contact) == ("", "")
    for message in Message.objects.filter(kind__startswith="RELAY_"):
        assert "secreto" not in message.content and phone not in message.content
        assert "[removed after" in message.content
    assert len([e for e in alarm_timeline(alarm=alarm) if e.kind == "relay"]) == 2  # the record stays


# --- Nobody else reads or writes -----------------------------------------------------------------------------


def test_another_family_cannot_read_or_post_into_the_conversation(client, alice_code, bob_subject):
    bob_code = QRCodeFactory(subject=bob_subject, is_active=True)
    alice_finder = _report(client, alice_code)
    bob_finder = _report(client, bob_code)
    alice_alarm, bob_alarm = Alarm.objects.get(subject=alice_code.subject), Alarm.objects.get(subject=bob_subject)
    alice_ack = _ack_url(alice_alarm.attempts.get(recipient_kind="custodian"))
    bob_attempt = bob_alarm.attempts.get(recipient_kind="custodian")
    bob_ack = _ack_url(bob_attempt)
    for ack, marker in ((alice_ack, "MARKER-ALICE"), (bob_ack, "MARKER-BOB")):
        client.post(ack, {"note": ""})
        client.post(ack, {"relay": "1", "text": marker})
    assert "MARKER-ALICE" not in _page(client, bob_ack) and "MARKER-ALICE" not in _page(client, bob_finder)
    assert "MARKER-BOB" not in _page(client, alice_ack) and "MARKER-BOB" not in _page(client, alice_finder)

    # A token for Bob's alarm cannot be pointed at Alice's (it is signed), nor a finder's page at another code.
    forged = ack_token(bob_attempt).replace(f"{bob_alarm.pk}.", f"{alice_alarm.pk}.", 1)
    assert client.post(f"/alerts/ack/{forged}/", {"relay": "1", "text": "intruso"}).status_code == 404
    token = alice_finder.rstrip("/").rsplit("/", 1)[-1]
    assert client.post(f"/scan/{bob_code.uuid}/sent/{token}/relay/", {"text": "intruso"}).status_code == 404
    assert client.get(f"/scan/{bob_code.uuid}/sent/{token}/status/").status_code == 404
    assert "intruso" not in [r.text for r in RelayMessage.objects.all()]


def test_a_later_finder_reads_only_their_own_conversation(client, alice_code):
    first = _report(client, alice_code)
    alarm = Alarm.objects.get()
    ack = _ack_url(alarm.attempts.get(recipient_kind="custodian"))
    client.post(ack, {"note": ""})
    client.post(ack, {"relay": "1", "text": "Para el primero"})
    second = _report(client, alice_code)
    client.post(ack, {"relay": "1", "text": "Para el segundo"})  # the family writes to the latest report
    assert "Para el primero" in _page(client, first) and "Para el segundo" not in _page(client, first)
    assert "Para el segundo" in _page(client, second) and "Para el primero" not in _page(client, second)


def test_a_closed_alarm_takes_no_more_messages(client, alice_code, alice):
    from alerts.services import alarm_resolve

    finder_page = _report(client, alice_code)
    alarm = Alarm.objects.get()
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.get().pk)
    alarm_resolve(alarm=alarm, user=alice)
    response = client.post(finder_page + "relay/", {"text": "¿Sigue ahí alguien?"})
    assert response.status_code == 400 and "This alarm is closed" in unescape(response.content.decode())
    assert not RelayMessage.objects.exists()


def test_the_admin_shows_the_family_the_finders_number_only_when_shared_and_the_conversation_on_the_timeline(
    client, alice, alice_code, bob, staff
):
    from alerts.services import alarm_create

    masked = alarm_create(qr_code=alice_code, situation_type="LOST", finder_phone=WEB_FINDER)
    alarm_acknowledge(alarm_id=masked.pk, attempt_id=masked.attempts.get().pk)
    relay_from_family(attempt=masked.attempts.get(), text="MARKER-RELAY")
    url = f"/admin/snippets/alerts/alarm/inspect/{masked.pk}/"
    client.force_login(alice)
    html = client.get(url).content.decode()
    assert "MARKER-RELAY" in html and WEB_FINDER not in html
    client.force_login(staff)
    assert WEB_FINDER in client.get(url).content.decode()  # staff handle emergencies: they see it
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 404 and "MARKER-RELAY" not in response.content.decode()
    Alarm.objects.filter(pk=masked.pk).update(finder_phone_shared=True)
    client.force_login(alice)
    assert WEB_FINDER in client.get(url).content.decode()
