"""Forms of the sign-up, verification, MFA and profile views. Writes go through services."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from registry.models import Custodian, Language
from registry.services import custodian_phone_taken

from .phones import phone_to_e164


class SignupForm(forms.Form):
    first_name = forms.CharField(max_length=150, label=_("First name"))
    last_name = forms.CharField(max_length=150, label=_("Last name"))
    email = forms.EmailField(max_length=150, label=_("Email"))
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), strip=False, label=_("Password"))
    phone = forms.CharField(
        max_length=32,
        help_text=_("Your WhatsApp number. From another country? Start with + and its code (+1, +34…)."),
        label=_("Phone"),
    )
    language = forms.ChoiceField(choices=Language.choices, initial=Language.SPANISH, label=_("Language"))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
            raise ValidationError(_("An account with this email already exists."), code="duplicate_email")
        return email

    def clean_phone(self) -> str:
        e164 = phone_to_e164(self.cleaned_data["phone"])
        if custodian_phone_taken(e164=e164):
            raise ValidationError(_("An account with this phone number already exists."), code="duplicate_phone")
        return e164

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        password = data.get("password")
        if password:
            probe = User(
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                validate_password(password, user=probe)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        label=_("Code"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordConfirmForm(forms.Form):
    """Asks for the password again before a sensitive change."""

    password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your password is not right."), code="wrong_password")
        return password


class PhoneChangeForm(PasswordConfirmForm):
    phone = forms.CharField(label=_("New phone"), max_length=32)

    def clean_phone(self) -> str:
        e164 = phone_to_e164(self.cleaned_data["phone"])
        own = Custodian.objects.filter(user=self.user).values_list("pk", flat=True).first()
        if custodian_phone_taken(e164=e164, exclude_pk=own):
            raise ValidationError(_("An account with this phone number already exists."), code="duplicate_phone")
        return e164


class EmailChangeForm(PasswordConfirmForm):
    email = forms.EmailField(label=_("New email"), max_length=150)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise ValidationError(_("An account with this email already exists."), code="duplicate_email")
        return email


def time_zone_choices() -> list[tuple[str, str]]:
    """Blank first (the site's zone, named), then every zone this server knows (Custodian.time_zone)."""
    site = [("", _("The site's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE})]
    return site + [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    first_name = forms.CharField(max_length=150, label=_("First name"))
    last_name = forms.CharField(max_length=150, label=_("Last name"))
    emergency_phone = PhoneNumberField(required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=time_zone_choices,
        help_text=_("Every time Keryu shows you (alarms, exports) is on this clock."),
    )

    class Meta:
        model = Custodian
        fields = ["address", "emergency_phone", "language", "time_zone", "preferred_channel"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    field_order = ["first_name", "last_name", "address", "emergency_phone", "language", "time_zone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["first_name"] = self.instance.user.first_name
        self.initial["last_name"] = self.instance.user.last_name


class InvitationForm(forms.Form):
    """The first custodian invites someone to share a subject's care (accounts.services.household_invite)."""

    email = forms.EmailField(label=_("Their email"), max_length=150)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=Language.choices)
