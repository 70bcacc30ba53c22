"""A report through the API is a report like the scan page's: one open alarm per code, joined or upgraded."""

from __future__ import annotations

import pytest

from alerts.models import Alarm, ScanEvent

pytestmark = pytest.mark.django_db


def _report(client, code, situation_type: str, **extra):
    body = {"qr_code": str(code.uuid), "situation_type": situation_type, **extra}
    return client.post("/api/alarms/", body, format="json")


def test_a_report_on_a_code_whose_alarm_is_open_joins_and_upgrades_it(token_for, alice, alice_code):
    client = token_for(alice)
    first = _report(client, alice_code, "LOST")
    assert first.status_code == 201
    second = _report(client, alice_code, "INJURED", location="Main square")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    alarm = Alarm.objects.get()
    assert (alarm.situation_type, alarm.first_situation_type, alarm.source) == ("INJURED", "LOST", "api")
    event = ScanEvent.objects.get()
    assert (event.alarm, event.situation_type, event.location, event.source) == (alarm, "INJURED", "Main square", "api")


def test_a_test_alarm_never_joins_the_open_one(token_for, alice, alice_code):
    client = token_for(alice)
    assert _report(client, alice_code, "LOST").status_code == 201
    test = _report(client, alice_code, "TEST")
    assert test.status_code == 201 and test.json()["is_test"] is True
    assert Alarm.objects.count() == 2 and not ScanEvent.objects.exists()
