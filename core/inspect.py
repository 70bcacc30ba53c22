"""Inspect pages read by people, not developers: a yes/no field says Yes or No (translated), never True, and a
time is shown on the viewer's clock (Wagtail prints an aware datetime as it is stored: in UTC)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from wagtail.admin.views.generic.models import InspectView


class YesNoInspectView(InspectView):  # type: ignore[misc]  # Wagtail ships no type hints
    def get_field_display_value(self, field_name: str, field: Any) -> Any:
        try:
            model_field = self.model._meta.get_field(field_name)
        except FieldDoesNotExist:
            model_field = None
        if isinstance(model_field, models.BooleanField):
            value = getattr(self.object, field_name)
            return gettext("Yes") if value else gettext("No")
        if isinstance(model_field, models.DateTimeField):
            moment = getattr(self.object, field_name)
            if moment is None:
                return "-"
            return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        return super().get_field_display_value(field_name, field)
