"""Exports of the filtered, scoped alarm list: CSV (streamed), Excel (write-only workbook), PDF (reportlab).

Rows come from `values_list(...).iterator()`, so 100,000 alarms never become 100,000 model instances.
No scanner IP, user agent or contact data leaves through an export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy

from core.exports import neutralise_cell

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Alarm

HEADER = ["id", "timestamp", "subject", "situation", "notification status", "location", "acknowledged", "resolved"]
TIMED = {"timestamp", "acknowledged", "resolved"}
# The headings the reader sees, in their language; HEADER keeps the columns' stable keys and order.
HEADINGS: dict[str, StrOrPromise] = {
    "id": pgettext_lazy("export column", "id"),
    "timestamp": pgettext_lazy("export column", "timestamp"),
    "subject": pgettext_lazy("export column", "subject"),
    "situation": pgettext_lazy("export column", "situation"),
    "notification status": pgettext_lazy("export column", "notification status"),
    "location": pgettext_lazy("export column", "location"),
    "acknowledged": pgettext_lazy("export column", "acknowledged"),
    "resolved": pgettext_lazy("export column", "resolved"),
}


def header() -> list[str]:
    """The headings in the active language (the requester's), with the time zone named on every time column:
    the times are the viewer's, not UTC."""
    zone = timezone.get_current_timezone_name()
    return [
        gettext("%(heading)s (%(zone)s)") % {"heading": HEADINGS[key], "zone": zone}
        if key in TIMED
        else str(HEADINGS[key])
        for key in HEADER
    ]


FIELDS = [
    "pk",
    "timestamp",
    "subject__name",
    "situation_type",
    "notification_status",
    "location",
    "acknowledged_at",
    "resolved_at",
]
PDF_MAX_ROWS = 5000
CSV_CHUNK_ROWS = 1000  # rows per streamed chunk: one socket write per row made 100,000 writes


def _rows(alarms: QuerySet[Alarm], tz: tzinfo | None = None) -> Iterator[list[str]]:
    # Once: timezone.localtime() looks it up again for every value. A streamed CSV passes the request's zone in:
    # its rows are produced after the view (and the time-zone middleware) returned.
    tz = tz or timezone.get_current_timezone()

    def minutes(value: datetime | None) -> str:
        return value.astimezone(tz).replace(tzinfo=None).isoformat(" ", "minutes") if value else ""

    for row in alarms.values_list(*FIELDS).iterator(chunk_size=2000):
        # Every text cell, not only free text: a subject's name is the custodian's to choose (CSV injection).
        yield [
            str(row[0]),
            minutes(row[1]),
            neutralise_cell(row[2]),
            neutralise_cell(row[3]),
            neutralise_cell(row[4]),
            neutralise_cell(row[5]),
            minutes(row[6]),
            minutes(row[7]),
        ]


def csv_stream(alarms: QuerySet[Alarm]) -> Iterator[str]:
    """The rows are made while the response streams, after the request's time zone was deactivated: the zone
    and the header are read now, in the request."""
    return _csv_chunks(alarms, header(), timezone.get_current_timezone())


def _csv_chunks(alarms: QuerySet[Alarm], head: list[str], tz: tzinfo) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    for count, row in enumerate(_rows(alarms, tz), start=1):
        writer.writerow(row)
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(alarms: QuerySet[Alarm]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Alarms"))
    sheet.append(header())
    for row in _rows(alarms):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pdf_bytes(alarms: QuerySet[Alarm], *, title: str = "") -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    title = title or gettext("Keryu alarms")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title)
    data = [header()]
    for i, row in enumerate(_rows(alarms)):
        if i >= PDF_MAX_ROWS:
            break
        data.append([cell[:40] for cell in row])
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    styles = getSampleStyleSheet()
    count, zone = len(data) - 1, timezone.get_current_timezone_name()
    if len(data) > PDF_MAX_ROWS:
        note = gettext("%(count)d alarms (first %(max)d; use CSV for all) · times in %(zone)s") % {
            "count": count,
            "max": PDF_MAX_ROWS,
            "zone": zone,
        }
    else:
        note = ngettext("%(count)d alarm · times in %(zone)s", "%(count)d alarms · times in %(zone)s", count) % {
            "count": count,
            "zone": zone,
        }
    doc.build([Paragraph(title, styles["Title"]), Paragraph(note, styles["Normal"]), table])
    return buffer.getvalue()
