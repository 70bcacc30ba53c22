"""The periodic tasks alerts needs, created in django-celery-beat once; staff tune them in /ops/."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

# name -> (task, every seconds or crontab fields)
SCHEDULE: dict[str, tuple[str, int | dict[str, str]]] = {
    "Alerts: sweep the outbox": ("alerts.sweep", 5),
    "Alerts: escalate unacknowledged alarms": ("alerts.escalate", 10),
    "Alerts: retry failed notifications": ("alerts.retry_failed", 600),
    "Alerts: clean up old messages and attempts": ("alerts.cleanup", {"minute": "17", "hour": "3"}),
    "Alerts: purge scanner IP, user agent and GPS": ("alerts.purge_scanner_data", {"minute": "27", "hour": "3"}),
    "Alerts: monthly reachability drill": (
        "alerts.reachability_drill",
        {"minute": "0", "hour": "11", "day_of_month": "1"},
    ),
    "Alerts: flag contacts never reached": ("alerts.reachability_flag", {"minute": "7"}),
    "Alerts: beat heartbeat": ("alerts.beat_heartbeat", settings.KERYU_BEAT_HEARTBEAT_INTERVAL),
    "Alerts: watchdog (backlog, beat, failing channels, security events)": (
        "alerts.watchdog",
        settings.KERYU_WATCHDOG_INTERVAL,
    ),
}
# Extra PeriodicTask fields by name. A heartbeat queued while no worker ran is stale: it must expire rather
# than make a dead beat look alive when a worker comes back and drains the queue.
OPTIONS: dict[str, dict[str, int]] = {
    "Alerts: beat heartbeat": {"expire_seconds": 2 * settings.KERYU_BEAT_HEARTBEAT_INTERVAL},
}


def periodic_tasks_ensure() -> int:
    """Create each task missing by name; an existing one (maybe edited by staff) is left exactly as it is."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = 0
    with transaction.atomic():
        for name, (task, when) in SCHEDULE.items():
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            if isinstance(when, int):
                interval, _ = IntervalSchedule.objects.get_or_create(every=when, period=IntervalSchedule.SECONDS)
                PeriodicTask.objects.create(name=name, task=task, interval=interval, **OPTIONS.get(name, {}))
            else:
                crontab, _ = CrontabSchedule.objects.get_or_create(
                    minute=when.get("minute", "*"),
                    hour=when.get("hour", "*"),
                    day_of_month=when.get("day_of_month", "*"),
                    day_of_week="*",
                    month_of_year="*",
                    timezone="UTC",
                )
                PeriodicTask.objects.create(name=name, task=task, crontab=crontab, **OPTIONS.get(name, {}))
            created += 1
    return created
