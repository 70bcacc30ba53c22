"""Alarm exports through the admin's real export URL (alerts.views.export), timed end to end over HTTP."""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from alerts.selectors import alarms_filtered

from ..context import Context, Outcome
from ..stats import Table, Target
from .admin import staff_session

RUNS = 3
CSV_TARGET_S = 5.0


def run(ctx: Context) -> Outcome:
    base = ctx.stack.base_url
    session = staff_session(base, ctx.seeded.staff_id)
    # Seeded alarms all lie before yesterday: this filter selects exactly them, whatever else a run added.
    before = (timezone.localdate() - timedelta(days=1)).isoformat()
    cases = [
        ("CSV", "csv", {"date_to": before}),
        ("Excel", "xlsx", {"subject": ctx.seeded.xlsx_subject}),
        ("PDF", "pdf", {"subject": ctx.seeded.pdf_subject}),
    ]
    table = Table(
        "Exports of the alarm list (staff session, through gunicorn)",
        ["format", "alarms", "first byte s", "median s", "max s", "size"],
    )
    staff = get_user_model().objects.get(pk=ctx.seeded.staff_id)
    csv_median, csv_rows = 0.0, 0
    for label, fmt, params in cases:
        rows = alarms_filtered(staff, {k: str(v) for k, v in params.items()}).count()
        totals, firsts, size, lines = [], [], 0, 0
        for _ in range(RUNS):
            started = time.perf_counter()
            response = session.get(f"{base}/admin/alerts/export/{fmt}/", params=params, stream=True, timeout=120)
            first = None
            size = lines = 0
            for chunk in response.iter_content(chunk_size=65536):
                if first is None:
                    first = time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
            totals.append(time.perf_counter() - started)
            firsts.append(first or 0.0)
            if response.status_code != 200:
                raise RuntimeError(f"{fmt} export answered {response.status_code}")
        if fmt == "csv" and lines - 1 != rows:
            raise RuntimeError(f"CSV export has {lines - 1} rows, expected {rows}")
        median = sorted(totals)[len(totals) // 2]
        if fmt == "csv":
            csv_median, csv_rows = median, rows
        table.add(label, rows, sorted(firsts)[len(firsts) // 2], median, max(totals), f"{size / 1024:,.0f} KiB")
    table.notes.append(f"{RUNS} runs each; CSV streams (its first byte comes at once), Excel and PDF are built whole.")
    target = Target(
        f"CSV export of {csv_rows:,} alarms",
        f"< {CSV_TARGET_S:.0f} s",
        f"{csv_median:.1f} s",
        csv_median < CSV_TARGET_S,
    )
    return Outcome(tables=[table], targets=[target])
