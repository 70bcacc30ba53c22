"""The staff-edited tables every alarm reads (escalation policies, the channel order) come from the shared cache
(core.config_cache, issue 17 item 3): a scan report reads neither from the database, yet every edit applies to the
next alarm at once, in every process."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alarm, EscalationPolicy, RecipientKind
from alerts.services import policies_ensure
from messaging.services import channel_order_set

REPORT = {"situation_type": "LOST", "description": "Near the fountain", "location": "Parque México"}


def _post(client, code) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.post(f"/scan/{code.uuid}/", REPORT).status_code == 302
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_report_reads_no_policy_channel_order_or_attempt_back(client, alice):
    from ..factories import QRCodeFactory, SubjectFactory

    policies_ensure()
    channel_order_set(keys=["meta_whatsapp", "twilio_sms", "email"])
    first, second = (QRCodeFactory(subject=SubjectFactory(custodian=alice.custodian), is_active=True) for _ in range(2))
    _post(client, first)  # the tables read once and kept
    sql = _post(client, second)
    tables = ("alerts_escalationpolicy", "messaging_channelsetting")
    assert not [s for s in sql if any(t in s for t in tables)], sql
    # The new rows are queued with what the plan knew: no read of the attempts after the commit.
    assert not [s for s in sql if s.startswith("SELECT") and 'FROM "alerts_notificationattempt"' in s], sql


@pytest.mark.django_db(transaction=True)
def test_a_policy_edit_applies_to_the_next_alarm_at_once(client, alice_code, contacts):
    from alerts.services import alarm_create

    policies_ensure()
    first = alarm_create(qr_code=alice_code, situation_type="INJURED")
    assert first.attempts.filter(recipient_kind=RecipientKind.CONTACT).exists()
    policy = EscalationPolicy.objects.get(situation_type="INJURED")
    policy.notify_contacts = False
    policy.save()
    Alarm.objects.update(grouping_closed_at="2026-01-01T00:00:00Z", resolved_at="2026-01-01T00:00:00Z")
    second = alarm_create(qr_code=alice_code, situation_type="INJURED")
    assert not second.attempts.filter(recipient_kind=RecipientKind.CONTACT).exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_channel_order_applies_to_the_next_alarm_at_once(alice_code, fake_meta, fake_twilio):
    from alerts.services import alarm_create

    channel_order_set(keys=["meta_whatsapp", "twilio_sms"])
    first = alarm_create(qr_code=alice_code, situation_type="LOST")
    channel_order_set(keys=["twilio_sms"])  # WhatsApp switched off by staff
    Alarm.objects.update(grouping_closed_at="2026-01-01T00:00:00Z", resolved_at="2026-01-01T00:00:00Z")
    second = alarm_create(qr_code=alice_code, situation_type="LOST")
    assert first.attempts.get(recipient_kind=RecipientKind.CUSTODIAN).channel == "meta_whatsapp"
    assert second.attempts.get(recipient_kind=RecipientKind.CUSTODIAN).channel == "twilio_sms"
