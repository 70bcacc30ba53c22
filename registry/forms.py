"""Admin forms: keep writes going through the services and choices inside the user's scope."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.choosers import TranslatedChoosersMixin
from core.roles import user_is_staff

from .models import Custodian
from .photos import photo_clean
from .selectors import custodians_visible_to, subjects_visible_to
from .services import custodian_phone_hash_sync, custodian_phone_taken, subject_photo_clear, subject_photo_set


class CustodianForm(WagtailAdminModelForm):
    def clean_phone_number(self):
        value = self.cleaned_data.get("phone_number")
        if value and custodian_phone_taken(e164=value.as_e164, exclude_pk=self.instance.pk):
            raise ValidationError(_("This phone number is already registered."))
        return value

    def save(self, commit: bool = True):
        phone_changed = "phone_number" in self.changed_data
        if phone_changed:
            self.instance.phone_verified_at = None
        instance = super().save(commit=commit)
        if commit and (phone_changed or not instance.phone_hash):
            custodian_phone_hash_sync(custodian=instance)
        return instance


class SubjectForm(TranslatedChoosersMixin, WagtailAdminModelForm):
    photo_upload = forms.FileField(
        required=False, label=_("Photo"), help_text=_("JPEG, PNG or WebP, at most 5 MB and 4096 x 4096 pixels.")
    )
    photo_remove = forms.BooleanField(required=False, label=_("Remove the current photo"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if "custodian" in self.fields and user is not None:
            # A custodian can only file subjects under their own record; the choice list never shows others.
            self.fields["custodian"].queryset = custodians_visible_to(user)
            if not user_is_staff(user) and self.instance.pk:
                # A shared subject stays filed under its first custodian; households change through invitations.
                self.fields["custodian"].queryset = Custodian.objects.filter(pk=self.instance.custodian_id)
                self.fields["custodian"].disabled = True
            elif not user_is_staff(user):
                own = custodians_visible_to(user).first()
                if own is not None:
                    self.fields["custodian"].initial = own.pk

    def clean_photo_upload(self):
        upload = self.cleaned_data.get("photo_upload")
        return photo_clean(upload) if upload else None

    def save(self, commit: bool = True):
        instance = super().save(commit=commit)
        if commit:
            if self.cleaned_data.get("photo_upload"):
                subject_photo_set(subject=instance, upload=self.cleaned_data["photo_upload"])
            elif self.cleaned_data.get("photo_remove"):
                subject_photo_clear(subject=instance)
        return instance


class QRCodeForm(TranslatedChoosersMixin, WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "subject" in self.fields and self.for_user is not None:
            self.fields["subject"].queryset = subjects_visible_to(self.for_user)
