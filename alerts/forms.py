"""Form fields the family's pages (alerts.views) and the finder's (home.views) share."""

from __future__ import annotations

from django import forms
from django.utils.functional import Promise

from .services.relay import RELAY_MAX


def relay_text_field(*, label: str | Promise, help_text: str | Promise = "") -> forms.CharField:
    """The text of a relayed message, either way: at most RELAY_MAX characters (alerts.services.relay refuses
    more), which the browser enforces as the reader types."""
    return forms.CharField(
        label=label,
        max_length=RELAY_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": RELAY_MAX}),
        help_text=help_text,
    )
