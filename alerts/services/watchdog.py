"""The watchdog: tells staff (staff_alert) about what no finder or family would report.

Causes: a backlog (the broker's queue or the oldest due notification past the /health/ready thresholds),
beat gone silent, a channel failing most of what it tries, repeated security events, and a WhatsApp sender near
its 24-hour tier of new conversations (lockouts, refused
object access). Each cause alerts at most once per KERYU_WATCHDOG_ALERT_INTERVAL: the first process to
`cache.add` the cause's key for the interval sends it; every other run, worker or retry finds it taken.
While the cache is down no claim succeeds and nothing is sent; /health/ready is 503 then (no heartbeat can
be read), which the load balancer and Prometheus see.

The periodic task `alerts.watchdog` runs every check. Beat sends that task, so it cannot notice beat's
own death: each worker's heartbeat thread (alerts.heartbeat) runs `beat_silence_check` as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from accounts.selectors import security_events_since
from alerts.heartbeat import age, broker_queue_depth, last_beat_pulse
from messaging.services.limits import conversation_usage

from ..monitoring import channel_outcomes, outbox_backlog, window_start
from .staff import staff_alert

log = logging.getLogger(__name__)


def cause_claim(cause: str) -> bool:
    """True for exactly one caller per cause and alert interval."""
    return bool(cache.add(f"keryu:watchdog:{cause}", 1, timeout=settings.KERYU_WATCHDOG_ALERT_INTERVAL))


def _raise(cause: str, subject: str, body: str) -> bool:
    if not cause_claim(cause):
        log.info("watchdog cause=%s already alerted this interval", cause)
        return False
    log.warning("watchdog cause=%s: %s", cause, subject)
    staff_alert(subject=f"Keryu watchdog: {subject}", body=body)
    return True


def backlog_check() -> bool:
    backlog = outbox_backlog()
    try:
        depth: int | None = broker_queue_depth()
    except Exception as exc:
        log.warning("watchdog: broker queue depth unreadable (%s)", type(exc).__name__)
        depth = None
    deep = depth is not None and depth > settings.KERYU_HEALTH_MAX_QUEUE_DEPTH
    late = backlog.oldest_due_seconds is not None and backlog.oldest_due_seconds > settings.KERYU_HEALTH_MAX_DUE_SECONDS
    if not (deep or late):
        return False
    oldest = "none" if backlog.oldest_due_seconds is None else f"{backlog.oldest_due_seconds:.0f} s"
    return _raise(
        "backlog",
        "notifications are backing up",
        f"Broker queue: {depth if depth is not None else 'unknown'} tasks (limit "
        f"{settings.KERYU_HEALTH_MAX_QUEUE_DEPTH}). Due notifications: {backlog.due}, the oldest due for {oldest} "
        f"(limit {settings.KERYU_HEALTH_MAX_DUE_SECONDS} s). Check that workers run and reach the providers "
        "(/health/ready, the worker logs); add workers if they are only slow.",
    )


def beat_silence_check() -> bool:
    seconds = age(last_beat_pulse())
    if seconds is not None and seconds <= settings.KERYU_BEAT_HEARTBEAT_MAX_AGE:
        return False
    since = "never seen" if seconds is None else f"last seen {seconds:.0f} s ago"
    return _raise(
        "beat",
        "celery beat is silent",
        f"Beat's heartbeat is {since} (limit {settings.KERYU_BEAT_HEARTBEAT_MAX_AGE} s). Without beat there is "
        "no escalation, no outbox sweep and no follow-up. Start exactly one beat process.",
    )


def _raise_each(prefix: str, alerts: dict[str, tuple[str, str]]) -> list[str]:
    """Raises each key's (subject, body) as the cause "prefix:key"; the keys raised (the others were already,
    this interval)."""
    return [key for key, (subject, body) in alerts.items() if _raise(f"{prefix}:{key}", subject, body)]


def channel_failure_check() -> list[str]:
    window = settings.KERYU_WATCHDOG_WINDOW_SECONDS
    failing = [
        outcome
        for outcome in channel_outcomes(since=window_start(window))
        if outcome.failed >= settings.KERYU_WATCHDOG_CHANNEL_MIN_FAILURES
        and outcome.failure_ratio >= settings.KERYU_WATCHDOG_CHANNEL_FAILURE_RATIO
    ]
    return _raise_each(
        "channel",
        {
            outcome.channel: (
                f"channel {outcome.channel} is failing",
                f"In the last {window} s, {outcome.failed} of {outcome.failed + outcome.succeeded} finished attempts "
                f"on {outcome.channel} failed. Delivery falls back to the next channel; check the channel's "
                "credentials and the provider's status.",
            )
            for outcome in failing
        },
    )


def security_events_check() -> list[str]:
    window = settings.KERYU_WATCHDOG_WINDOW_SECONDS
    counts = security_events_since(since=window_start(window))
    limits = {"lockouts": settings.KERYU_WATCHDOG_LOCKOUTS, "access_refused": settings.KERYU_WATCHDOG_ACCESS_REFUSED}
    what = {"lockouts": "sign-in lockouts", "access_refused": "refused attempts to open another family's records"}
    return _raise_each(
        "security",
        {
            kind: (
                f"repeated {what[kind]}",
                f"{counts[kind]} {what[kind]} in the last {window} s (limit {limit}). Review the security events "
                "and the axes access attempts in /ops/.",
            )
            for kind, limit in limits.items()
            if counts[kind] >= limit
        },
    )


def conversation_tier_check() -> list[str]:
    """A WhatsApp sender past KERYU_WHATSAPP_CONVERSATION_WARN_RATIO of its 24-hour tier of new conversations:
    staff hear before the tier is reached and new recipients go by SMS (messaging.services.limits)."""
    return _raise_each(
        "conversations",
        {
            usage.channel: (
                f"{usage.channel} has started {usage.count} of its {usage.tier} new conversations for 24 h",
                f"In the last 24 h {usage.channel} started {usage.count} new conversations; the account's tier "
                f"allows {usage.tier} (KERYU_WHATSAPP_CONVERSATION_TIER). Beyond it, messages to new recipients go "
                "by SMS. Ask Meta for the next messaging tier, or raise the setting once Meta has.",
            )
            for usage in conversation_usage()
            if usage.ratio >= settings.KERYU_WHATSAPP_CONVERSATION_WARN_RATIO
        },
    )


def watchdog_run() -> list[str]:
    """Every check; the causes alerted this run. One failing check does not stop the others."""
    alerted: list[str] = []
    checks: dict[str, Callable[[], list[str]]] = {
        "backlog": lambda: ["backlog"] if backlog_check() else [],
        "beat": lambda: ["beat"] if beat_silence_check() else [],
        "channel": lambda: [f"channel:{c}" for c in channel_failure_check()],
        "security": lambda: [f"security:{k}" for k in security_events_check()],
        "conversations": lambda: [f"conversations:{c}" for c in conversation_tier_check()],
    }
    for name, check in checks.items():
        try:
            alerted += check()
        except Exception:
            log.exception("watchdog check %s failed", name)
    return alerted
