"""Wagtail's snippet chooser says "Choose <model>" in the language of the moment it was built.

Wagtail builds one chooser widget per model when snippets are registered (at start-up, in English) and formats
its texts there and then. Forms copy their widgets per request, so a form that re-formats the copy's texts shows
them in the viewer's language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from wagtail.snippets.widgets import AdminSnippetChooser


class TranslatedChoosersMixin:
    """For a Wagtail admin model form: its snippet choosers' texts in the active language."""

    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, AdminSnippetChooser):
                name = {"object": widget.model._meta.verbose_name}
                # Wagtail's own msgids, so its catalogue supplies the Spanish.
                widget.choose_one_text = gettext("Choose %(object)s") % name
                widget.choose_another_text = gettext("Choose another %(object)s") % name
                widget.link_to_chosen_text = gettext("Edit this %(object)s") % name
