"""The monthly reachability drill: each channel judged by what it can report, a text that explains itself,
everyone an alarm would reach drilled, the custodian told of each flag, and a flag cleared by an answer.

Driven through the periodic tasks (`alerts.reachability_drill`, `alerts.reachability_flag`), the Twilio fake
for SMS, a local SMTP server for email refusals, and messaging's own services for receipts and replies.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import tasks
from alerts.models import ReachabilityCheck
from messaging.formatting import address_hash
from messaging.models import Message, MessageStatus
from messaging.services import inbound_record, message_status_apply
from registry.models import EmergencyContact
from testkit.fakes.smtp import FakeSMTP

pytestmark = pytest.mark.django_db

ROSA, TOM, DOCTOR = "+525533334444", "+525555556666", "+525511112222"


@pytest.fixture
def sms(settings, fake_twilio):
    """Phones on Twilio SMS, email last: the order an alarm would follow."""
    settings.KERYU_CHANNEL_ORDER = ["twilio_sms", "email"]
    return fake_twilio


@pytest.fixture
def cousin(alice_subject):
    """An emergency contact with an email address only."""
    return EmergencyContact.objects.create(
        subject=alice_subject, name="Prima Ana", email="ana@example.com", preferred_channel="email", sort_order=2
    )


def _messages_to(address: str) -> list[Message]:
    return list(Message.objects.filter(address_hash=address_hash(address)).order_by("pk"))


def _check_for(address: str) -> ReachabilityCheck:
    return ReachabilityCheck.objects.get(message__address_hash=address_hash(address))


def _past_the_window(settings) -> None:
    before = timezone.now() - timedelta(hours=settings.KERYU_DRILL_DELIVERY_WINDOW_HOURS + 1)
    ReachabilityCheck.objects.update(created_at=before)


def _receipt(address: str, status: str, code: str = "") -> None:
    """What the provider's status webhook does for the drill message to `address`."""
    message = _messages_to(address)[-1]
    message_status_apply(
        provider_message_id=message.provider_message_id,
        status=status,
        error_code=code,
        error_action="switch" if code else "",
    )


# --- defects: each of these failed before the drill was rebuilt ---------------------------------------------


def test_an_email_contact_is_not_flagged_for_a_receipt_email_never_sends(alice_code, contacts, cousin, sms, settings):
    tasks.reachability_drill()
    _past_the_window(settings)
    tasks.reachability_flag()
    check = _check_for("ana@example.com")
    assert not check.flagged, check.reason
    # The SMS contacts that never got a delivery receipt are flagged: SMS can report delivery.
    assert _check_for(ROSA).flagged and _check_for(ROSA).status == "silent"


def test_the_drill_text_explains_itself_in_spanish_and_asks_for_a_one_word_reply(alice_code, contacts, sms):
    tasks.reachability_drill()
    [message] = _messages_to(ROSA)
    text = message.content
    assert "ALARMA" not in text.upper() and "Confirmar:" not in text
    assert "Keryu" in text and "Sofía" in text and "prueba mensual" in text and "no hay ninguna emergencia" in text
    assert "Responde OK" in text
    assert "contacto de emergencia" in text and "Abuela Rosa" in text
    _assert_no_empty_link(text)


def test_the_drill_text_explains_itself_in_english(alice_code, contacts, sms):
    tasks.reachability_drill()
    [message] = _messages_to(TOM)
    text = message.content
    assert "ALARM" not in text.upper() and "Acknowledge:" not in text
    assert "Keryu's monthly check for Sofía" in text and "Nothing is wrong" in text
    assert "Reply OK" in text and "an emergency contact" in text
    _assert_no_empty_link(text)


def _assert_no_empty_link(text: str) -> None:
    assert "http://testserver" in text  # the link shown is a real one: Keryu's own site
    for word in text.replace("\n", " ").split(" "):
        assert word not in ("-", "http://", "https://"), text
    assert not text.rstrip().endswith(":"), text


def test_the_custodians_own_number_and_the_doctor_are_drilled(alice_code, contacts, sms):
    custodian = alice_code.subject.custodian
    tasks.reachability_drill()
    [own] = _messages_to(str(custodian.phone_number))
    [doctor] = _messages_to(DOCTOR)
    assert "custodio" in own.content and "Sofía" in own.content
    assert "Dr. Ruiz" in doctor.content and "médico" in doctor.content
    assert ReachabilityCheck.objects.count() == 4  # the custodian, the doctor, two contacts


def test_the_custodian_is_told_of_a_flag_by_message(alice_code, contacts, sms):
    custodian = alice_code.subject.custodian
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.UNDELIVERED, code="30005")
    tasks.reachability_flag()
    notices = [m for m in _messages_to(str(custodian.phone_number)) if "Abuela Rosa" in m.content]
    assert len(notices) == 1
    assert "prueba mensual" in notices[0].content and "http://testserver/admin/" in notices[0].content
    tasks.reachability_flag()  # told once, not every hour
    assert len([m for m in _messages_to(str(custodian.phone_number)) if "Abuela Rosa" in m.content]) == 1


def test_a_flag_clears_when_the_address_replies(alice_code, contacts, sms):
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.UNDELIVERED, code="30005")
    assert _check_for(ROSA).flagged
    inbound_record(channel="twilio_sms", from_address=ROSA, body="OK", provider_message_id="SMreply1")
    assert not _check_for(ROSA).flagged


def test_a_flag_clears_when_a_later_drill_is_delivered(alice_code, contacts, sms):
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.UNDELIVERED, code="30005")
    first = _check_for(ROSA)
    assert first.flagged
    ReachabilityCheck.objects.update(created_at=timezone.now() - timedelta(days=30))
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.DELIVERED)
    first.refresh_from_db()
    assert not first.flagged


# --- each channel judged by what it can report -------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    server = FakeSMTP().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    yield server
    server.stop()


def test_an_email_address_the_receiving_server_refuses_is_flagged(alice_code, contacts, cousin, sms, smtp):
    smtp.refuse = {"ana@example.com"}
    tasks.reachability_drill()
    check = _check_for("ana@example.com")
    assert check.flagged and check.status == "failed" and "recipient_refused" in check.reason
    assert not smtp.messages  # refused at RCPT: nothing was taken


def test_an_email_bounce_reported_later_flags_and_the_window_does_not_lift_it(
    alice_code, contacts, cousin, sms, settings
):
    tasks.reachability_drill()
    _receipt("ana@example.com", MessageStatus.UNDELIVERED, code="5.1.1")
    _past_the_window(settings)
    tasks.reachability_flag()
    check = _check_for("ana@example.com")
    assert check.flagged and check.status == "undelivered"


def test_sms_delivered_in_time_is_not_flagged(alice_code, contacts, sms, settings):
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.DELIVERED)
    _past_the_window(settings)
    tasks.reachability_flag()
    assert not _check_for(ROSA).flagged and _check_for(ROSA).status == "delivered"
    assert (_check_for(TOM).flagged and _check_for(TOM).reason == "sms: silent (no receipt).") or _check_for(
        TOM
    ).flagged


@pytest.fixture
def whatsapp(settings, fake_meta, fake_twilio):
    settings.KERYU_CHANNEL_ORDER = ["meta_whatsapp", "twilio_sms", "email"]
    return fake_meta


def test_a_drill_whatsapp_template_meta_has_not_approved_is_not_a_flag_the_phone_is_tried_by_sms(
    alice_code, contacts, whatsapp
):
    tasks.reachability_drill()
    checks = list(ReachabilityCheck.objects.filter(address_hash=address_hash(ROSA)).order_by("pk"))
    assert [(c.channel, c.status, c.flagged) for c in checks] == [
        ("meta_whatsapp", "not_checked", False),
        ("twilio_sms", "sent", False),
    ]
    assert not whatsapp.requests  # a template Meta has not approved is never sent
    # Never the alarm's template either: a drill must not look like an alarm.
    assert not ReachabilityCheck.objects.filter(flagged=True).exists()


def _meta_receipt(client, fake_meta, message: Message, status: str, code: int | None = None) -> None:
    errors = [{"code": code, "title": "error"}] if code else None
    payload = fake_meta.status_payload(message.provider_message_id, status, errors=errors)
    body, headers = fake_meta.signed(payload)
    response = client.post(
        "/webhooks/whatsapp/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"],
    )
    assert response.status_code == 200


def test_whatsapp_drills_use_their_own_approved_template_and_are_judged_by_the_receipt_code(
    client, alice_code, contacts, whatsapp
):
    from messaging.models import MetaApproval, MetaTemplateStatus

    for language, code in (("es", "es_MX"), ("en", "en_US")):
        MetaTemplateStatus.objects.create(name="keryu_monthly_check", language_code=code, status=MetaApproval.APPROVED)
        whatsapp.templates[("keryu_monthly_check", code)] = 3
    tasks.reachability_drill()
    sent = [r.json["template"] for r in whatsapp.requests]
    assert {t["name"] for t in sent} == {"keryu_monthly_check"}
    rosa_params = [p["text"] for t in sent for c in t["components"] for p in c["parameters"]]
    assert "Abuela Rosa" in rosa_params and "contacto de emergencia" in rosa_params

    rosa, tom = _messages_to(ROSA)[-1], _messages_to(TOM)[-1]
    _meta_receipt(client, whatsapp, rosa, "failed", code=131026)  # undeliverable to this number
    _meta_receipt(client, whatsapp, tom, "failed", code=131047)  # our 24-hour window: says nothing of Tom
    assert _check_for(ROSA).flagged
    tom_check = _check_for(TOM)
    assert not tom_check.flagged and tom_check.status == "not_checked"


def test_everyone_without_any_address_is_flagged_and_a_second_run_within_the_week_sends_nothing(alice_code, sms):
    EmergencyContact.objects.create(subject=alice_code.subject, name="Vecino", sort_order=0)
    tasks.reachability_drill()
    assert ReachabilityCheck.objects.get(recipient_name="Vecino").flagged
    count = Message.objects.count()
    tasks.reachability_drill()
    assert Message.objects.count() == count


def test_a_doctor_of_two_children_gets_one_drill_naming_both(alice, alice_code, contacts, sms):
    from ..factories import SubjectFactory

    SubjectFactory(custodian=alice.custodian, name="Mateo Arroyo", doctor_name="Dr. Ruiz", doctor_phone=DOCTOR)
    tasks.reachability_drill()
    [message] = _messages_to(DOCTOR)
    assert "Sofía y Mateo" in message.content


# --- the custodian is told, on the dashboard too; an answer clears ------------------------------------------


def test_the_custodians_dashboard_shows_a_standing_flag_until_the_address_answers(
    client, alice, bob, alice_code, contacts, sms
):
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.UNDELIVERED, code="30005")
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    page = client.get("/admin/").content.decode()
    assert "Keryu could not reach someone" in page and "Abuela Rosa" in page
    client.force_login(bob)
    assert "Abuela Rosa" not in client.get("/admin/").content.decode()

    inbound_record(channel="twilio_sms", from_address="+5215533334444", body="OK", provider_message_id="SMreply2")
    client.force_login(alice)
    assert "Keryu could not reach someone" not in client.get("/admin/").content.decode()


def test_a_flag_on_the_custodians_own_phone_is_told_on_another_channel(alice, alice_code, contacts, sms):
    tasks.reachability_drill()
    own = str(alice.custodian.phone_number)
    _receipt(own, MessageStatus.UNDELIVERED, code="30005")
    tasks.reachability_flag()
    [notice] = Message.objects.filter(kind="DRILL_FLAGGED")
    assert notice.channel == "email" and notice.to == alice.email
    assert "ti (SMS)" in notice.content


def test_custodians_who_opt_out_get_no_drill(alice_code, contacts):
    custodian = alice_code.subject.custodian
    custodian.drill_opt_out = True
    custodian.save(update_fields=["drill_opt_out"])
    tasks.reachability_drill()
    assert not ReachabilityCheck.objects.exists() and not Message.objects.exists()


def test_a_drill_send_refused_for_the_address_flags_it(alice_code, contacts, settings):
    from messaging.channels import REGISTRY, ChannelError
    from messaging.channels.base import Channel

    class Broken(Channel):
        key = "broken"

        def is_configured(self):
            return True

        def send(self, message):
            raise ChannelError("invalid number", permanent=True, code="21211")

    REGISTRY["broken"] = Broken
    settings.KERYU_CHANNEL_ORDER = ["broken"]
    try:
        tasks.reachability_drill()
    finally:
        del REGISTRY["broken"]
    assert ReachabilityCheck.objects.filter(flagged=True).count() == 4  # custodian, doctor, two contacts


def test_bob_does_not_see_alices_contact_checks(client, alice_code, contacts, bob):
    tasks.reachability_drill()
    client.force_login(bob)
    check = ReachabilityCheck.objects.first()
    assert client.get(f"/admin/snippets/alerts/reachabilitycheck/inspect/{check.pk}/").status_code == 404
    assert "Abuela" not in client.get("/admin/snippets/alerts/reachabilitycheck/").content.decode()


def test_a_drill_our_side_could_not_deliver_goes_on_to_the_next_channel_from_the_hourly_run(
    alice_code, contacts, settings, fake_twilio
):
    settings.KERYU_CHANNEL_ORDER = ["twilio_whatsapp", "twilio_sms"]
    # Our record says Rosa wrote within 24 hours, so the free text goes; Twilio's own clock disagrees.
    from django.utils import timezone

    from messaging.models import ConversationWindow

    ConversationWindow.objects.create(
        address_hash=address_hash(ROSA), channel="twilio_whatsapp", last_inbound_at=timezone.now()
    )
    tasks.reachability_drill()
    # Twilio accepted the free text, then reports WhatsApp's 24-hour window (63016): nothing said about Rosa.
    message = _messages_to(ROSA)[-1]
    message_status_apply(
        provider_message_id=message.provider_message_id, status="failed", error_code="63016", error_action="switch"
    )
    assert ReachabilityCheck.objects.get(message=message).status == "not_checked"
    tasks.reachability_flag()
    tasks.reachability_flag()  # once
    rows = ReachabilityCheck.objects.filter(address_hash=address_hash(ROSA)).order_by("pk")
    assert [(c.channel, c.status, c.flagged) for c in rows] == [
        ("twilio_whatsapp", "not_checked", False),
        ("twilio_sms", "sent", False),
    ]


def test_the_drill_texts_are_editor_kept_templates_shipped_live_with_their_own_whatsapp_template(
    alice_code, contacts, sms
):
    from messaging.models import MessageTemplate

    for kind, meta_name in (("DRILL", "keryu_monthly_check"), ("DRILL_FLAGGED", "keryu_check_flagged")):
        for language in ("es", "en"):
            template = MessageTemplate.objects.get(kind=kind, language=language, channel="")
            assert template.live and template.whatsapp_template_name == meta_name
    MessageTemplate.objects.filter(kind="DRILL", language="es").update(
        content="Prueba mensual de Keryu para {subject_name}, {recipient_name}: responde OK. {site_url}"
    )
    tasks.reachability_drill()
    [message] = _messages_to(ROSA)
    assert message.content == "Prueba mensual de Keryu para Sofía, Abuela Rosa: responde OK. http://testserver/"
