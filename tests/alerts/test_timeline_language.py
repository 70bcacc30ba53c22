"""Text Keryu stores or builds in English is shown in its reader's language: the alarm timeline (built at render
time), the exports' headings, contact checks' stored reasons; an email names its language."""

from __future__ import annotations

import csv
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from alerts.models import NO_RECEIPT, Alarm, reachability_reason_text
from alerts.services import alarm_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarm(alice_code) -> Alarm:
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    alarm.attempts.update(error=NO_RECEIPT.format(seconds=60))  # stored in English, whoever reads it
    now = timezone.now()
    Alarm.objects.filter(pk=alarm.pk).update(
        acknowledged_at=now, acknowledged_by="Alice", acknowledged_via="web", staff_alerted_at=now, resolved_at=now
    )
    return alarm


def _channel_label(alarm: Alarm, language: str) -> str:
    from messaging.models import Channel

    key = alarm.attempts.values_list("channel", flat=True).first()
    with translation.override(language):
        label = str(dict(Channel.choices)[key])
    assert label != key
    return label


def _timeline(client, user, alarm: Alarm) -> str:
    client.force_login(user)
    html = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    return html[html.index('data-keryu-zone="') :]


def test_a_spanish_custodian_reads_her_alarm_timeline_in_spanish(client, alice, alarm):
    timeline = _timeline(client, alice, alarm)
    assert "Escaneo: Persona extraviada" in timeline
    assert "Sin confirmación de entrega ni de lectura en 60 s: se pasó al siguiente canal" in timeline
    assert "Confirmada por Alice (la página web)" in timeline
    assert f"por {_channel_label(alarm, 'es')}:" in timeline  # the channel's name, not its key
    assert "No se pudo contactar a la familia: se avisó al personal" in timeline
    assert "en cola" in timeline
    for english in ("Scan: ", "No delivered or read receipt", "Acknowledged by", "could not be reached", "queued"):
        assert english not in timeline, english


def test_an_english_custodian_reads_the_same_timeline_in_english(client, alice, alarm):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")
    timeline = _timeline(client, alice, alarm)
    assert "Scan: Subject lost" in timeline
    assert "No delivered or read receipt within 60 s: moved to the next channel" in timeline
    assert "Acknowledged by Alice (the web page)" in timeline
    assert f"via {_channel_label(alarm, 'en')}:" in timeline
    assert "The family could not be reached: staff alerted" in timeline
    assert "Escaneo" not in timeline


def _csv_head(client, user) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("alerts_export", args=["csv"]))
    return next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_spanish_custodians_exports_have_spanish_headings_in_the_same_columns(client, alice, alarm):
    head = _csv_head(client, alice)
    zone = head[1].removeprefix("fecha y hora (").removesuffix(")")  # the custodian's zone
    assert "/" in zone and head == [
        "id",
        f"fecha y hora ({zone})",
        "persona",
        "situación",
        "estado de la notificación",
        "ubicación",
        f"confirmada ({zone})",
        f"resuelta ({zone})",
    ]
    sheet = load_workbook(io.BytesIO(client.get(reverse("alerts_export", args=["xlsx"])).content)).active
    assert sheet.title == "Alarmas" and sheet.cell(1, 3).value == "persona"
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")
    assert _csv_head(client, alice)[2:6] == ["subject", "situation", "notification status", "location"]


@pytest.mark.parametrize(
    ("stored", "spanish"),
    [
        ("No delivery receipt within 24 h.", "Sin confirmación de entrega en 24 h."),
        ("sms: failed (code 30003).", "sms: Fallidas (código 30003)."),  # the status by its label
        ("Keryu could not send on this channel (no_address).", "Keryu no pudo enviar por este canal (no_address)."),
        ("Answered.", "Respondió."),
        ("Something new.", "Something new."),  # unknown: shown as stored
    ],
)
def test_a_contact_checks_stored_english_reason_is_shown_in_the_readers_language(stored, spanish):
    with translation.override("es"):
        assert reachability_reason_text(stored) == spanish
    with translation.override("en"):
        assert reachability_reason_text(stored) == stored.replace("failed", "Failed")


def test_an_email_names_its_language_the_templates_else_the_active_one():
    with translation.override("es"):
        assert '<html lang="es">' in render_to_string("messaging/email/message.html", {"paragraphs": ["Hola"]})
        html = render_to_string("messaging/email/message.html", {"paragraphs": ["Hi"], "language": "en"})
        assert '<html lang="en">' in html
