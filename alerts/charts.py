"""Server-rendered SVG bar charts for the statistics view (no JavaScript, no CDN)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR = (
    '<text x="0" y="{}" font-size="12">{}</text>'
    '<rect x="{}" y="{}" width="{}" height="{}" fill="#007d7e"><title>{}: {}</title></rect>'
    '<text x="{}" y="{}" font-size="12">{}</text>'
)


def bar_chart(rows: list[tuple[str, int]], *, width: int = 640, bar_height: int = 18) -> SafeString:
    """Labels can be editor- or provider-supplied text: every value goes through format_html's escaping."""
    if not rows:
        return format_html('<p class="help">{}</p>', "No data yet.")
    top = max(value for _, value in rows) or 1
    label_w, gap = 110, 4
    height = len(rows) * (bar_height + gap)
    bars = []
    for i, (label, value) in enumerate(rows):
        y = i * (bar_height + gap)
        w = int((width - label_w - 50) * value / top)
        text_y = y + bar_height - 4
        bars.append((text_y, label, label_w, y, w, bar_height, label, value, label_w + w + 4, text_y, value))
    return format_html(
        '<svg role="img" width="{}" height="{}" viewBox="0 0 {} {}">{}</svg>',
        width,
        height,
        width,
        height,
        format_html_join("", BAR, bars),
    )
