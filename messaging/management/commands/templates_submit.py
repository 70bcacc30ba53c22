"""Print the shipped WhatsApp template definitions (Meta and Twilio Content API), or submit them to Meta."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from messaging.services.template_submission import submit_url, template_definitions, templates_submit


class Command(BaseCommand):
    help = "Print the WhatsApp template definitions Keryu ships, or submit them to Meta for approval (--submit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", choices=["meta", "twilio"], default="meta", help="which format to print")
        parser.add_argument(
            "--submit", action="store_true", help="POST each definition to the Graph API (WHATSAPP_GRAPH_API_BASE_URL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["submit"]:
            self.stdout.write(
                json.dumps(template_definitions(provider=options["provider"]), ensure_ascii=False, indent=2)
            )
            return
        if options["provider"] != "meta":
            raise CommandError("Only Meta takes submissions by API; print the Twilio definitions and create them.")
        self.stdout.write(f"Submitting to {submit_url()}")
        outcomes = templates_submit()
        for outcome in outcomes:
            mark = "ok" if outcome.ok else "REFUSED"
            self.stdout.write(f"{mark:8} {outcome.name} ({outcome.language}) {outcome.detail}")
        if not all(o.ok for o in outcomes):
            raise CommandError("Some definitions were not accepted.")
