"""Fixture for keryu-mark-safe-non-literal and keryu-format-html-misuse (semgrep --test)."""

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def badge(name: str, rows: list[tuple[str, int]]):
    # ok: keryu-mark-safe-non-literal
    empty = mark_safe('<p class="help">No data yet.</p>')
    # ruleid: keryu-mark-safe-non-literal
    label = mark_safe(f"<b>{name}</b>")
    # ruleid: keryu-mark-safe-non-literal
    joined = mark_safe("".join(escape(n) for n, _ in rows))
    # ruleid: keryu-mark-safe-non-literal
    wrapped = SafeString(name)
    # ok: keryu-format-html-misuse
    good = format_html("<b>{}</b>", name)
    # ok: keryu-format-html-misuse
    table = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows)
    # ruleid: keryu-format-html-misuse
    bad = format_html(f"<b>{name}</b>")
    # ruleid: keryu-format-html-misuse
    worse = format_html("<b>%s</b>" % name)
    # ruleid: keryu-format-html-misuse
    also_bad = format_html("<i>" + name + "</i>{}", 1)
    # ruleid: keryu-format-html-misuse
    bad_join = format_html_join("", "<li>" + name + "{}</li>", rows)
    return empty, label, joined, wrapped, good, table, bad, worse, also_bad, bad_join
