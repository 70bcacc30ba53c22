"""Idempotent set-up: the periodic purge of abandoned sign-ups (never overwriting staff's changes)."""

from __future__ import annotations

TASK_NAME = "accounts: purge abandoned registrations"


def periodic_tasks_ensure() -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME, defaults={"task": "accounts.registrations_purge_abandoned", "interval": schedule}
    )


def on_post_migrate(sender, **kwargs) -> None:
    if sender.label == "accounts":
        periodic_tasks_ensure()
