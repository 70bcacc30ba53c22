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

import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.selectors import security_events_since
from alerts.heartbeat import age, broker_queue_depth, last_beat_pulse
from messaging.services.limits import conversation_usage

from ..monitoring import channel_outcomes, outbox_backlog, window_start
from .staff import staff_alert

log = logging.getLogger(__name__)
T = TypeVar("T")


def cause_claim(cause: str) -> bool:
    """True for exactly one caller per cause and alert interval."""
    return bool(cache.add(f"keryu:watchdog:{cause}", 1, timeout=settings.KERYU_WATCHDOG_ALERT_INTERVAL))


def in_site_language(check: Callable[[], T]) -> Callable[[], T]:
    """Staff read alerts in the site's language (settings.LANGUAGE_CODE: staff have no language of their own),
    whoever's request or task happened to run the check."""

    @functools.wraps(check)
    def run() -> T:
        with translation.override(settings.LANGUAGE_CODE):
            return check()

    return run


def _raise(cause: str, subject: str, body: str) -> bool:
    if not cause_claim(cause):
        log.info("watchdog cause=%s already alerted this interval", cause)
        return False
    log.warning("watchdog cause=%s: %s", cause, subject)
    staff_alert(subject=_("Keryu watchdog: %(subject)s") % {"subject": subject}, body=body)
    return True


@in_site_language
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
    oldest = _("none") if backlog.oldest_due_seconds is None else f"{backlog.oldest_due_seconds:.0f} s"
    return _raise(
        "backlog",
        _("notifications are backing up"),
        _(
            "Broker queue: %(depth)s tasks (limit %(max_depth)s). Due notifications: %(due)s, the oldest due for "
            "%(oldest)s (limit %(max_due)s s). Check that workers run and reach the providers (/health/ready, the "
            "worker logs); add workers if they are only slow."
        )
        % {
            "depth": depth if depth is not None else _("unknown"),
            "max_depth": settings.KERYU_HEALTH_MAX_QUEUE_DEPTH,
            "due": backlog.due,
            "oldest": oldest,
            "max_due": settings.KERYU_HEALTH_MAX_DUE_SECONDS,
        },
    )


@in_site_language
def beat_silence_check() -> bool:
    seconds = age(last_beat_pulse())
    if seconds is not None and seconds <= settings.KERYU_BEAT_HEARTBEAT_MAX_AGE:
        return False
    since = _("never seen") if seconds is None else _("last seen %(seconds)s s ago") % {"seconds": f"{seconds:.0f}"}
    return _raise(
        "beat",
        _("celery beat is silent"),
        _(
            "Beat's heartbeat is %(since)s (limit %(max_age)s s). Without beat there is no escalation, no outbox "
            "sweep and no follow-up. Start exactly one beat process."
        )
        % {"since": since, "max_age": settings.KERYU_BEAT_HEARTBEAT_MAX_AGE},
    )


def _raise_each(prefix: str, alerts: dict[str, tuple[str, str]]) -> list[str]:
    """Raises each key's (subject, body) as the cause "prefix:key"; the keys raised (the others were already,
    this interval)."""
    return [key for key, (subject, body) in alerts.items() if _raise(f"{prefix}:{key}", subject, body)]


@in_site_language
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
                _("channel %(channel)s is failing") % {"channel": outcome.channel},
                _(
                    "In the last %(window)s s, %(failed)s of %(finished)s finished attempts on %(channel)s failed. "
                    "Delivery falls back to the next channel; check the channel's credentials and the provider's "
                    "status."
                )
                % {
                    "window": window,
                    "failed": outcome.failed,
                    "finished": outcome.failed + outcome.succeeded,
                    "channel": outcome.channel,
                },
            )
            for outcome in failing
        },
    )


@in_site_language
def security_events_check() -> list[str]:
    window = settings.KERYU_WATCHDOG_WINDOW_SECONDS
    counts = security_events_since(since=window_start(window))
    limits = {"lockouts": settings.KERYU_WATCHDOG_LOCKOUTS, "access_refused": settings.KERYU_WATCHDOG_ACCESS_REFUSED}
    what = {
        "lockouts": (_("repeated sign-in lockouts"), _("%(count)s sign-in lockouts")),
        "access_refused": (
            _("repeated refused attempts to open another family's records"),
            _("%(count)s refused attempts to open another family's records"),
        ),
    }
    return _raise_each(
        "security",
        {
            kind: (
                what[kind][0],
                _(
                    "%(events)s in the last %(window)s s (limit %(limit)s). Review the security events and the axes "
                    "access attempts in /ops/."
                )
                % {"events": what[kind][1] % {"count": counts[kind]}, "window": window, "limit": limit},
            )
            for kind, limit in limits.items()
            if counts[kind] >= limit
        },
    )


@in_site_language
def conversation_tier_check() -> list[str]:
    """A WhatsApp sender past KERYU_WHATSAPP_CONVERSATION_WARN_RATIO of its 24-hour tier of new conversations:
    staff hear before the tier is reached and new recipients go by SMS (messaging.services.limits)."""
    return _raise_each(
        "conversations",
        {
            usage.channel: (
                _("%(channel)s has started %(count)s of its %(tier)s new conversations for 24 h") % numbers,
                _(
                    "In the last 24 h %(channel)s started %(count)s new conversations; the account's tier allows "
                    "%(tier)s (KERYU_WHATSAPP_CONVERSATION_TIER). Beyond it, messages to new recipients go by SMS. "
                    "Ask Meta for the next messaging tier, or raise the setting once Meta has."
                )
                % numbers,
            )
            for usage in conversation_usage()
            for numbers in [{"channel": usage.channel, "count": usage.count, "tier": usage.tier}]
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
