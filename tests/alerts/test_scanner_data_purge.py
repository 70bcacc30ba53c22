"""The scan page's promise: the finder's name, phone and position are gone after the retention period.

"Gone" means every copy: the alarm and its reports, the message log (texts that quoted them, template
parameters, provider errors), replies and SMS reports, attempts, audit and Wagtail log entries, exports and
the application log. The search reads every table twice: raw SQL (any plain copy) and through the ORM, which
decrypts (an encrypted copy is still a copy).
"""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from alerts.exports import csv_stream, xlsx_bytes
from alerts.models import Alarm, NotificationAttempt, NotificationStatus, ScanEvent
from alerts.services import attempt_deliver
from alerts.services.maintenance import scanner_data_purge
from messaging.models import InboundMessage, Message
from messaging.services import inbound_record

pytestmark = pytest.mark.django_db

FINDERS = [
    # (name, phone as typed, E.164, latitude, longitude)
    ("Ximena Quintanilla", "55 4321 8765", "+525543218765", "19.432608", "-99.133209"),
    ("Zacarías Olmedo", "55 9876 1234", "+525598761234", "19.427025", "-99.167665"),
]
SMS_FINDER = "+525566778899"


def _needles() -> list[str]:
    """Each finder's name and its parts, the phone in the forms people and providers write it, the position."""
    found = []
    for name, typed, e164, lat, lng in FINDERS:
        digits = e164.lstrip("+")
        local = digits[2:]
        found += [name, *name.split(), typed, e164, digits, local, f"{local[:2]} {local[2:6]} {local[6:]}"]
        found += [lat, lng, lng.lstrip("-"), f"{lat},{lng}", f"{lat}, {lng}"]
    sms = SMS_FINDER.lstrip("+")
    return [*found, SMS_FINDER, sms, sms[2:]]


def _deliver_all() -> None:
    for pk in NotificationAttempt.objects.filter(
        status=NotificationStatus.PENDING, not_before__isnull=True
    ).values_list("pk", flat=True):
        attempt_deliver(attempt_id=pk)


def _raw_rows() -> dict[str, list[str]]:
    """Every cell of every table, as stored."""
    cells: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # nosec B608: names from introspection
            cells[table] = [
                bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview) else str(v)
                for row in cursor.fetchall()
                for v in row
                if v is not None
            ]
    return cells


def _orm_values() -> dict[str, list[str]]:
    """Every field of every row as the application reads it (decrypted)."""
    values: dict[str, list[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = model._meta.concrete_fields
        values[model._meta.label] = [
            str(field.value_from_object(obj)) for obj in model._base_manager.all() for field in fields
        ]
    return values


def _exports() -> dict[str, str]:
    alarms = Alarm.objects.all()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(alarms))) as xlsx:
        sheet = "".join(xlsx.read(name).decode() for name in xlsx.namelist() if name.endswith(".xml"))
    return {"csv": "".join(csv_stream(alarms)), "xlsx": sheet}


def _copies(places: dict[str, list[str]] | dict[str, str], needles: list[str]) -> dict[str, set[str]]:
    hits: dict[str, set[str]] = {}
    for place, texts in places.items():
        text = texts if isinstance(texts, str) else "\n".join(texts)
        found = {n for n in needles if n in text}
        if found:
            hits[place] = found
    return hits


def _seed(client, alice_code, settings) -> Alarm:
    cache.clear()  # the scan and SMS rate limits of an earlier run
    settings.KERYU_SCAN_RENOTIFY_SECONDS = 0
    for name, typed, _, lat, lng in FINDERS:
        response = client.post(
            f"/scan/{alice_code.uuid}/",
            {"situation_type": "LOST", "location": "Parque México", "finder_name": name, "finder_phone": typed,
             "latitude": lat, "longitude": lng},
        )  # fmt: skip
        assert response.status_code == 302
        _deliver_all()
    # A finder without data texts the badge's short code: the SMS report joins the same alarm.
    inbound_record(
        channel="twilio_sms",
        from_address=SMS_FINDER,
        body=f"{alice_code.short_code} perdido",
        provider_message_id="SMfinder1",
    )
    _deliver_all()
    return Alarm.objects.get()


def test_the_purge_leaves_no_copy_of_the_finder_anywhere(client, alice_code, contacts, settings, caplog):
    caplog.set_level(logging.DEBUG)
    alarm = _seed(client, alice_code, settings)
    needles = _needles()
    # The seed really put the finders' details where the purge must reach.
    assert ScanEvent.objects.count() == 2 and Message.objects.filter(kind="UPDATE").exists()
    assert "Ximena Quintanilla" in Message.objects.filter(kind="LOST").first().content
    assert any("maps.google.com/?q=19.427025,-99.167665" in m.content for m in Message.objects.filter(kind="UPDATE"))
    assert InboundMessage.objects.get().from_address == SMS_FINDER

    past = timezone.now() - timedelta(days=settings.KERYU_SCANNER_DATA_RETENTION_DAYS + 1)
    Alarm.objects.update(timestamp=past)
    ScanEvent.objects.update(timestamp=past)
    Message.objects.update(created_at=past)
    InboundMessage.objects.update(received_at=past)
    scanner_data_purge()

    assert _copies(_raw_rows(), needles) == {}
    assert _copies(_orm_values(), needles) == {}
    assert _copies(_exports(), needles) == {}
    assert _copies({"log": caplog.text}, needles) == {}
    # The record itself stays: the family's history of the alarm, with what was removed marked as such.
    alarm.refresh_from_db()
    lost = Message.objects.filter(kind="LOST").first()
    assert (
        "Parque México" in lost.content
        and f"[removed after {settings.KERYU_SCANNER_DATA_RETENTION_DAYS} days]" in lost.content
    )


def test_recipients_addresses_leave_the_message_log_on_the_same_schedule(client, alice_code, contacts, settings):
    _seed(client, alice_code, settings)
    recipients = {str(c.phone_number) for c in contacts} | {str(alice_code.subject.custodian.phone_number)}
    assert recipients & set(Message.objects.values_list("to", flat=True))
    past = timezone.now() - timedelta(days=settings.KERYU_SCANNER_DATA_RETENTION_DAYS + 1)
    Message.objects.update(created_at=past)
    InboundMessage.objects.update(received_at=past)
    scanner_data_purge()
    needles = [n for phone in recipients for n in (phone, phone.lstrip("+"), phone[3:])]
    log = {k: v for k, v in _orm_values().items() if k.startswith("messaging.")}
    assert _copies(log, needles) == {}
    assert not Message.objects.exclude(to="").exists()


def test_a_recent_message_keeps_its_address_and_finder_details(client, alice_code, settings):
    _seed(client, alice_code, settings)
    scanner_data_purge()
    assert not Message.objects.filter(to="").exists()
    assert "Ximena Quintanilla" in Message.objects.filter(kind="LOST").first().content


def test_the_message_log_columns_hold_ciphertext_not_the_phone_or_the_finder(client, alice_code, settings):
    _seed(client, alice_code, settings)
    custodian_phone = str(alice_code.subject.custodian.phone_number)
    assert custodian_phone in set(Message.objects.values_list("to", flat=True))
    raw = _raw_rows()
    log = {t: cells for t, cells in raw.items() if t.startswith("messaging_")}
    needles = [custodian_phone, custodian_phone.lstrip("+"), custodian_phone[3:], *_needles()]
    assert _copies(log, needles) == {}
