"""QR images and the badge sheet, in this process, through registry.badges (what the admin views call)."""

from __future__ import annotations

import time

from registry.badges import badge_sheet_pdf, qr_png, qr_svg
from registry.models import QRCode

from ..context import Context, Outcome
from ..stats import Table, summary_ms

IMAGES = 200
SHEET_BADGES = 100
SHEETS = 3


def _timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def run(ctx: Context) -> Outcome:
    codes = list(
        QRCode.objects.select_related("subject").filter(uuid__in=ctx.seeded.scan_codes[:IMAGES]).order_by("pk")
    )
    table = Table(
        "QR codes and badges (one process, no server)", ["what", "count", "p50 ms", "p95 ms", "max ms", "size"]
    )
    for label, fn in (("QR PNG (error correction H)", qr_png), ("QR SVG", qr_svg)):
        timings, size = [], 0
        for code in codes:
            seconds, data = _timed(fn, code)
            timings.append(seconds)
            size = len(data)
        s = summary_ms(timings)
        table.add(label, len(timings), s["p50"], s["p95"], s["max"], f"{size / 1024:.1f} KiB")
    sheet_codes = (codes * (SHEET_BADGES // max(1, len(codes)) + 1))[:SHEET_BADGES]
    timings = []
    for _ in range(SHEETS):
        seconds, pdf = _timed(badge_sheet_pdf, sheet_codes)
        timings.append(seconds)
    s = summary_ms(timings)
    table.add(
        f"badge sheet PDF, {SHEET_BADGES} badges", SHEETS, s["p50"], s["p95"], s["max"], f"{len(pdf) / 1024:.0f} KiB"
    )
    table.notes.append("No target in the issue; recorded so a regression shows.")
    return Outcome(tables=[table])
