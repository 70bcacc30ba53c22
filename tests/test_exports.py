"""Every export path neutralises text a spreadsheet would run as a formula (CSV injection).

One poisoned family (a subject named as a formula, a custodian whose name starts with `+`, an alarm
whose description starts with `@` and whose location starts with a tab) is exported through every door
staff and custodians have: the alarm exports (CSV, XLSX, PDF), the /ops/ import-export console (CSV,
XLSX), Wagtail's own spreadsheet exports (`?export=csv|xlsx` on listings and reports) and the badge PDF.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib

import pytest
from django.contrib import admin
from django.urls import reverse
from import_export.formats.base_formats import XLSX
from openpyxl import load_workbook
from wagtail.log_actions import log

from registry.models import Custodian, Subject

from .factories import AlarmFactory, QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db

NAME = '=HYPERLINK("http://x","y")'
FIRST_NAME = "+Mallory"
DESCRIPTION = "@SUM(1,1)"
LOCATION = "\tBehind the fountain"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def poisoned(alice):
    alice.first_name, alice.last_name = FIRST_NAME, "Payload"
    alice.save()
    subject = SubjectFactory(custodian=alice.custodian, name=NAME, public_message="-1+1")
    code = QRCodeFactory(subject=subject, is_active=True)
    alarm = AlarmFactory(qr_code=code, description=DESCRIPTION, location=LOCATION)
    return {"subject": subject, "code": code, "alarm": alarm}


def _assert_safe_text(cells: list, *, expected: tuple[str, ...] = ()) -> None:
    """No text cell starts with a trigger; each expected poisoned value is there, quoted."""
    raw = [c for c in cells if isinstance(c, str) and c.startswith(TRIGGERS)]
    assert not raw, f"formula-like cells left raw: {raw!r}"
    for value in expected:
        assert "'" + value in cells, f"{value!r} missing or not neutralised in {cells!r}"


def _csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _xlsx_cells(content: bytes) -> list:
    book = load_workbook(io.BytesIO(content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    formulas = [c.value for c in cells if c.data_type == "f"]
    assert not formulas, f"live formulas in the workbook: {formulas!r}"
    return [c.value for c in cells]


def _pdf_text(content: bytes) -> bytes:
    """The PDF's streams decoded (reportlab writes them ASCII85 + Flate), so drawn text can be searched."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = stream.strip()
        try:
            if data.endswith(b"~>"):
                data = base64.a85decode(data, adobe=True)
            out.append(zlib.decompress(data))
        except (ValueError, zlib.error):
            continue
    return b"\n".join(out)


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_neutralise_cell_quotes_formula_starters_and_leaves_everything_else():
    from core.exports import neutralise_cell

    for starter in TRIGGERS:
        assert neutralise_cell(f"{starter}x") == f"'{starter}x"
    assert neutralise_cell("Sofía") == "Sofía"
    assert neutralise_cell("") == ""
    assert neutralise_cell(-5) == -5 and neutralise_cell(None) is None


def test_alarm_exports_neutralise_subject_and_location(client, staff, poisoned):
    client.force_login(staff)
    csv_cells = _csv_cells(_streamed(client.get("/admin/alerts/export/csv/")))
    _assert_safe_text(csv_cells, expected=(NAME, LOCATION))
    xlsx_cells = _xlsx_cells(client.get("/admin/alerts/export/xlsx/").content)
    _assert_safe_text(xlsx_cells, expected=(NAME, LOCATION))
    pdf = _pdf_text(client.get("/admin/alerts/export/pdf/").content)
    assert b"('=HYPERLINK" in pdf and b"(=HYPERLINK" not in pdf


def test_the_custodians_own_alarm_export_is_neutralised_too(client, alice, poisoned):
    client.force_login(alice)
    _assert_safe_text(_csv_cells(_streamed(client.get("/admin/alerts/export/csv/"))), expected=(NAME, LOCATION))


def _ops_format(model) -> str:
    formats = admin.site._registry[model].get_export_formats()
    return str(next(i for i, f in enumerate(formats) if f is XLSX or issubclass(f, XLSX)))


@pytest.mark.parametrize(("model", "expected"), [(Subject, (NAME, "-1+1")), (Custodian, (FIRST_NAME,))])
def test_ops_import_export_neutralises_every_text_cell(client, staff, poisoned, model, expected):
    client.force_login(staff)
    url = reverse(f"admin:registry_{model._meta.model_name}_export")
    # Sensitive columns too: phones start with "+".
    plain = client.post(url, {"format": "0", "resource": "0", "include_sensitive": "on"})
    assert plain.status_code == 200
    _assert_safe_text(_csv_cells(plain.content), expected=expected)
    xlsx = client.post(url, {"format": _ops_format(model), "resource": "0", "include_sensitive": "on"})
    _assert_safe_text(_xlsx_cells(xlsx.content), expected=expected)


def test_a_reimported_ops_export_keeps_the_original_values(client, staff, poisoned):
    """The quote is for spreadsheets: importing the file back must not add it to names and phones."""
    from registry.resources import CustodianResource

    exported = CustodianResource(include_sensitive=True).export(queryset=Custodian.objects.all())
    phone = str(poisoned["subject"].custodian.phone_number)
    assert "'" + phone in exported.csv
    result = CustodianResource(include_sensitive=True).import_data(exported, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    custodian = Custodian.objects.select_related("user").get(pk=poisoned["subject"].custodian.pk)
    assert custodian.user.first_name == FIRST_NAME and str(custodian.phone_number) == phone


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_wagtail_spreadsheet_exports_neutralise_every_text_cell(client, staff, admin_user, poisoned, fmt):
    """Wagtail's own exports (listings with `list_export`, the site history report) go through the same function."""
    log(instance=poisoned["subject"], action="wagtail.edit", user=staff)
    client.force_login(admin_user)
    for url in (
        "/admin/reports/site-history/",
        "/admin/snippets/registry/subject/",
        "/admin/snippets/alerts/alarm/",
        "/admin/snippets/registry/custodian/",
    ):
        response = client.get(url, {"export": fmt})
        assert response.status_code == 200, url
        content = _streamed(response)
        cells = _csv_cells(content) if fmt == "csv" else _xlsx_cells(content)
        _assert_safe_text(cells, expected=(NAME,) if "site-history" in url else ())


def test_badge_pdf_prints_the_name_neutralised(client, alice, poisoned):
    client.force_login(alice)
    response = client.get(reverse("registry_qr_badges_pdf"), {"id": poisoned["code"].pk})
    assert response.status_code == 200
    pdf = _pdf_text(_streamed(response))
    assert b"('=HYPERLINK" in pdf and b"(=HYPERLINK" not in pdf
