"""Writes for alerts (a package: alarms, finders' reports, inbound messages and replies to alarm messages,
delivery, the alarm's roll-up status, the periodic outbox work, escalation and the hand-over to staff,
maintenance)."""

from .alarm_status import alarm_status_refresh
from .alarms import (
    alarm_acknowledge,
    alarm_create,
    alarm_resolve,
    alarm_retry_failed,
    alarm_test_create,
)
from .delivery import (
    MAX_RETRIES,
    ack_token,
    ack_token_read,
    ack_url,
    attempt_deliver,
    attempt_enqueue,
    attempt_fallback,
    retry_delay,
)
from .escalation import alarms_escalate
from .inbound import inbound_handle
from .outbox import (
    attempt_status_from_message,
    attempts_release_due,
    attempts_sweep,
    whatsapp_follow_up,
)
from .recipients import policies_ensure, policy_for
from .replies import reply_handle, reply_match
from .reports import Report, ReportLimited, ReportOutcome, report_submit

__all__ = [
    "MAX_RETRIES",
    "Report",
    "ReportLimited",
    "ReportOutcome",
    "ack_token",
    "ack_token_read",
    "ack_url",
    "alarm_acknowledge",
    "alarm_create",
    "alarm_resolve",
    "alarm_retry_failed",
    "alarm_status_refresh",
    "alarm_test_create",
    "alarms_escalate",
    "attempt_deliver",
    "attempt_enqueue",
    "attempt_fallback",
    "attempt_status_from_message",
    "attempts_release_due",
    "attempts_sweep",
    "inbound_handle",
    "policies_ensure",
    "policy_for",
    "reply_handle",
    "reply_match",
    "report_submit",
    "retry_delay",
    "whatsapp_follow_up",
]
