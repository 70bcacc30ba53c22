"""What one send costs in statements (counted, never timed): a narrow claim, and the roll-up after a send in
one conditional update that agrees with the full refresh."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alarm, NotificationStatus
from alerts.services import alarm_create, attempt_deliver
from alerts.services.alarm_status import alarm_status_derive, alarm_status_sent
from messaging.models import MessageStatus

from .test_delivery import scripted  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_a_send_claims_its_row_in_one_statement_without_a_wide_join(alice_code, scripted):  # noqa: F811
    scripted.script = ["provider-1"]
    attempt = alarm_create(qr_code=alice_code, situation_type="LOST").attempts.get()
    with CaptureQueriesContext(connection) as captured:
        sent = attempt_deliver(attempt_id=attempt.pk)
    assert sent is not None and sent.status == NotificationStatus.SENT
    sql = [q["sql"] for q in captured.captured_queries]
    assert sql[0].lstrip().startswith("WITH claimed AS") and "RETURNING" in sql[0]
    assert max(s.count(" JOIN ") for s in sql) <= 3, "no statement joins more than the alarm, subject, custodian, user"
    assert len(sql) <= 22, "\n".join(sql)


def test_a_send_reads_its_template_once_and_refreshes_nothing(alice_code, scripted):  # noqa: F811
    """Issue 17 item 4: one template lookup serves the context and the rendering; the message's and the attempt's
    state come back from their updates (RETURNING) instead of refreshes; the send's own SENT news is recorded
    once (by the delivery, not again by the status receiver)."""
    scripted.script = ["provider-1"]
    attempt = alarm_create(qr_code=alice_code, situation_type="LOST").attempts.get()
    with CaptureQueriesContext(connection) as captured:
        sent = attempt_deliver(attempt_id=attempt.pk)
    assert sent is not None and (sent.status, sent.message_id) == (NotificationStatus.SENT, sent.message.pk)
    assert sent.sent_at is not None and sent.dispatched_at is not None
    assert sent.message.status == MessageStatus.SENT and sent.message.provider_message_id == "provider-1"
    # The test's own transaction adds a savepoint pair around _attempt_sent's atomic block: not the send's.
    sql = [q["sql"].strip() for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert sum('FROM "messaging_messagetemplate"' in s for s in sql) == 1, "\n".join(sql)
    assert not any(s.startswith("SELECT") and 'FROM "messaging_message"' in s for s in sql), "\n".join(sql)
    assert sum(s.startswith('UPDATE "alerts_alarm"') for s in sql) == 1, "\n".join(sql)
    assert len(sql) <= 9, "\n".join(sql)
    alarm = Alarm.objects.get()
    assert alarm.notification_attempts == 1 and alarm.last_attempt is not None
    assert (alarm.notification_status, alarm.notification_sent) == ("SENT", True)


@pytest.mark.parametrize("before", ["PENDING", "FAILED", "SENT", "DELIVERED", "READ"])
def test_the_roll_up_after_a_send_agrees_with_the_full_derivation(alice_code, scripted, before):  # noqa: F811
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    attempt = alarm.attempts.get()
    reached = {"DELIVERED": "DELIVERED", "READ": "READ"}.get(before)
    if reached:  # another row already got further
        alarm.attempts.create(
            recipient_key="contact:x", recipient_kind="contact", channel="scripted", status=reached, wave=0,
            update_seq=0, escalation_round=1,
        )  # fmt: skip
    Alarm.objects.filter(pk=alarm.pk).update(notification_status=before)
    type(attempt).objects.filter(pk=attempt.pk).update(status="SENT")
    alarm_status_sent(alarm_id=alarm.pk)
    alarm.refresh_from_db()
    if before in ("PENDING", "FAILED"):
        assert alarm.notification_status == alarm_status_derive(alarm_id=alarm.pk).status == "SENT"
    else:
        assert alarm.notification_status == before
