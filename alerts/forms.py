"""Form fields the family's pages (alerts.views) and the finder's (home.views) share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

from .services.relay import RELAY_MAX

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a dev requirement: only the type checker reads it


def relay_text_field(*, label: StrOrPromise, help_text: StrOrPromise = "") -> forms.CharField:
    """The text of a relayed message, either way: at most RELAY_MAX characters (alerts.services.relay refuses
    more), which the browser enforces as the reader types."""
    return forms.CharField(
        label=label,
        max_length=RELAY_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": RELAY_MAX}),
        help_text=help_text,
    )
