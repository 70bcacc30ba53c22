"""Celery wrappers over alerts services. Ids in, no results out."""

from __future__ import annotations

from collections.abc import Callable

from celery import Task, shared_task
from django.db import connection

from messaging.channels import ChannelError

from . import services
from .services import drills, escalation, maintenance, notices, relay, reports
from .services.delivery import DATABASE_ERRORS, DB_MAX_RETRIES, DB_RETRY_COUNTDOWN


@shared_task(name="alerts.deliver_attempt", bind=True, max_retries=services.MAX_RETRIES)
def deliver_attempt(self: Task[[int], None], attempt_id: int) -> None:
    try:
        services.attempt_deliver(attempt_id=attempt_id)
    except ChannelError as exc:
        # Transient: the row is back at PENDING with not_before set; back off exponentially from the base delay.
        raise self.retry(exc=exc, countdown=services.retry_delay(self.request.retries + 1)) from None
    except DATABASE_ERRORS as exc:
        # The connection dropped (failover, killed backend): the row is settled (or left to the lease) and a
        # fresh connection is seconds away. The claim and the dispatch marker keep the provider from a second call.
        connection.close()
        raise self.retry(exc=exc, countdown=DB_RETRY_COUNTDOWN, max_retries=DB_MAX_RETRIES) from None


@shared_task(name="alerts.notify_inactive_scan")
def notify_inactive_scan(scan_id: int) -> None:
    reports.inactive_scan_notify(scan_id=scan_id)


@shared_task(name="alerts.send_notice")
def send_notice(notice_id: int) -> None:
    notices.notice_send(notice_id=notice_id)


@shared_task(name="alerts.send_relay")
def send_relay(relay_id: int) -> None:
    """A relayed message between finder and family: `default` queue (the router's "*"), like the notices."""
    relay.relay_send(relay_id=relay_id)


def _beat_task(name: str, *steps: Callable[[], object]) -> Task[[], None]:
    """A task beat sends (alerts.periodic): runs `steps` in order, no arguments, no result. Each step finds its
    own work and is safe to repeat, so a run lost with its worker is the next beat's."""

    def run() -> None:
        for step in steps:
            step()

    return shared_task(name=name)(run)


sweep = _beat_task(
    "alerts.sweep", services.attempts_sweep, reports.inactive_scans_sweep, notices.notices_sweep, relay.relays_sweep
)
escalate = _beat_task(
    "alerts.escalate",
    services.attempts_release_due,
    services.whatsapp_follow_up,
    services.alarms_escalate,
    escalation.alarms_injured_to_staff,
    escalation.staff_escalations_notify,
)
retry_failed = _beat_task("alerts.retry_failed", maintenance.alarms_retry_failed)
cleanup = _beat_task("alerts.cleanup", maintenance.records_cleanup)
purge_scanner_data = _beat_task(
    "alerts.purge_scanner_data", maintenance.scanner_data_purge, maintenance.archived_records_purge
)
reachability_drill = _beat_task("alerts.reachability_drill", drills.reachability_drill)
reachability_flag = _beat_task("alerts.reachability_flag", drills.reachability_settle)


@shared_task(name="alerts.beat_heartbeat")
def beat_heartbeat() -> None:
    """Sent by beat every KERYU_BEAT_HEARTBEAT_INTERVAL s; its timestamp is beat's heartbeat (alerts.heartbeat)."""
    from alerts.heartbeat import beat_pulse_write

    beat_pulse_write()


@shared_task(name="alerts.watchdog")
def watchdog() -> None:
    from .services.watchdog import watchdog_run

    watchdog_run()
