from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from phonenumber_field.formfields import PhoneNumberField

from alerts.models import SituationType

# What a finder can report (never TEST), in words a stranger understands at a glance.
PUBLIC_SITUATIONS = [
    (SituationType.INJURED.value, _("Hurt or unwell: needs help now")),
    (SituationType.LOST.value, _("Lost: cannot find their family")),
    (SituationType.CONTACT.value, _("Fine, but the family should contact me")),
]


def coordinate_field(limit: int, *, label: StrOrPromise) -> forms.DecimalField:
    """A latitude or longitude in degrees (from -limit to limit), filled in by the page's script."""
    return forms.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-limit,
        max_value=limit,
        required=False,
        widget=forms.HiddenInput,
        label=label,
    )


class ScanForm(forms.Form):
    """What a finder reports. TEST is not a choice here: it only comes from the custodian's test button."""

    situation_type = forms.ChoiceField(
        label=_("What is happening?"), choices=PUBLIC_SITUATIONS, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Details"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.CharField(label=_("Where are you?"), max_length=255, required=False)
    latitude = coordinate_field(90, label=_("Latitude"))
    longitude = coordinate_field(180, label=_("Longitude"))

    finder_name = forms.CharField(label=_("Your name (optional)"), max_length=100, required=False)
    finder_phone = PhoneNumberField(
        label=_("Your phone, to get the family's messages by text (optional)"),
        help_text=_("Kept private: the family writes to you through Keryu."),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    finder_phone_shared = forms.BooleanField(
        label=_("Let the family see my number so they can call me"), required=False
    )

    def clean_finder_phone(self) -> str:
        phone = self.cleaned_data.get("finder_phone")
        return phone.as_e164 if phone else ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Location coordinates must come as a latitude and longitude pair."))
        return data
