"""Server-rendered SVG bar charts for the statistics view (no JavaScript, no CDN)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bar_chart(rows: list[tuple[str, int]], *, width: int = 640, bar_height: int = 18) -> SafeString:
    if not rows:
        return mark_safe('<p class="help">No data yet.</p>')
    top = max(value for _, value in rows) or 1
    label_w, gap = 110, 4
    height = len(rows) * (bar_height + gap)
    parts = [f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, value) in enumerate(rows):
        y = i * (bar_height + gap)
        w = int((width - label_w - 50) * value / top)
        parts.append(
            f'<text x="0" y="{y + bar_height - 4}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_height}" fill="#007d7e"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_w + w + 4}" y="{y + bar_height - 4}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (labels escaped above)
