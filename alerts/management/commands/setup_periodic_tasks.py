from typing import Any

from django.core.management.base import BaseCommand

from alerts.periodic import periodic_tasks_ensure
from alerts.services import policies_ensure


class Command(BaseCommand):
    help = "Create alerts' periodic tasks and escalation policies if missing (never overwrites staff edits)."

    def handle(self, *args: Any, **options: Any) -> None:
        tasks = periodic_tasks_ensure()
        policies = policies_ensure()
        self.stdout.write(f"created periodic tasks={tasks} policies={policies}")
