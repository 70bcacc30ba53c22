"""The one neutraliser for exported text cells (CSV/formula injection), and its wiring into Wagtail's exports.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and tab or carriage return
can smuggle one past a naive check. Every export (the alarm CSV/XLSX/PDF, the /ops/ import-export
resources, Wagtail's `?export=csv|xlsx` listings and reports, the badge sheet) passes its text through
`neutralise_cell`, which prefixes a single quote, as OWASP recommends. Numbers, dates and None pass
unchanged. `restore_cell` undoes it for imports, so an exported file can be imported back as it was.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTERS):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The inverse for imports: a quote followed by a formula starter is the neutraliser's."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_STARTERS):
        return value[1:]
    return value


def neutralise_wagtail_exports() -> None:
    """Route every Wagtail spreadsheet export through `neutralise_cell`.

    Wagtail's `SpreadsheetExportMixin` (snippet listings with `list_export`, the site history and other
    reports) writes CSV cells raw and only demotes XLSX formulas to strings. Wrapping its one per-cell
    hook covers every view built on it, including Wagtail's own, which cannot be subclassed from here.
    Idempotent.
    """
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    original = SpreadsheetExportMixin.preprocess_field_value
    if original.__module__ == __name__:  # already this module's wrapper
        return

    def preprocess_field_value(self: Any, field: str, value: Any, export_format: str) -> Any:
        return neutralise_cell(original(self, field, value, export_format))

    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
