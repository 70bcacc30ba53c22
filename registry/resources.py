"""django-import-export resources for the /ops/ console: row-by-row validation, sensitive columns opt-in.

Exports leave out medical, doctor, phone and address columns unless staff tick "include sensitive
columns" (the resource is built with include_sensitive=True). Imports validate every row with the
model's own validation (phone numbers, choices, dates) and report errors per row; phones written by an
import get their keyed hash and the duplicate check like every other write. Every exported cell goes
through core.exports.neutralise_cell (formula injection; phones start with "+"), and an import
takes the quote off again, so an exported file imports back unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from core.exports import neutralise_cell, restore_cell
from core.roles import CUSTODIANS

from .models import (
    CUSTODIAN_CONTACT_FIELDS,
    SUBJECT_DOCTOR_FIELDS,
    SUBJECT_MEDICAL_FIELDS,
    SUBJECT_SHARING_FIELDS,
    Custodian,
    Subject,
)

if TYPE_CHECKING:  # what the mixin's super() calls reach; at run time it is a plain mixin
    from import_export.resources import ModelResource as _ResourceBase
else:
    _ResourceBase = object
from .services import custodian_phone_hash_sync, custodian_phone_taken


class SensitiveColumnsMixin(_ResourceBase):
    sensitive: tuple[str, ...] = ()

    def __init__(self, include_sensitive: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.include_sensitive = include_sensitive
        if not include_sensitive:
            for name in self.sensitive:
                self.fields.pop(name, None)

    def export_field(self, field, instance, **kwargs):
        return neutralise_cell(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row, **kwargs) -> None:
        for key, value in row.items():
            row[key] = restore_cell(value)
        super().before_import_row(row, **kwargs)


class CustodianResource(SensitiveColumnsMixin, resources.ModelResource):
    sensitive = CUSTODIAN_CONTACT_FIELDS

    username = fields.Field(attribute="user__username", column_name="username")
    email = fields.Field(attribute="user__email", column_name="email")
    first_name = fields.Field(attribute="user__first_name", column_name="first_name")
    last_name = fields.Field(attribute="user__last_name", column_name="last_name")

    class Meta:
        model = Custodian
        fields = (
            "username",
            "email",
            "first_name",
            "last_name",
            "language",
            "preferred_channel",
            "drill_opt_out",
            *CUSTODIAN_CONTACT_FIELDS,
        )
        import_id_fields = ("username",)
        clean_model_instances = True
        skip_unchanged = False

    def import_instance(self, instance, row, **kwargs) -> None:
        # Related user fields are not set by the default loop (the user may not exist yet): keep them aside.
        self._user_values = {
            k: (row.get(k) or "").strip() for k in ("username", "email", "first_name", "last_name") if k in row
        }
        for name, field in self.fields.items():
            if name in self._user_values or name not in row:
                continue
            field.save(instance, row, is_m2m=False, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        errors = dict(import_validation_errors or {})
        values = getattr(self, "_user_values", {})
        if not values.get("username"):
            errors["username"] = ["A username is required."]
        phone = instance.phone_number
        if phone and phone.is_valid() and custodian_phone_taken(e164=phone.as_e164, exclude_pk=instance.pk):
            errors["phone_number"] = ["This phone number is already registered."]
        try:
            instance.full_clean(exclude=["user"], validate_unique=False)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs) -> None:
        values = self._user_values
        if kwargs.get("dry_run"):
            return super().save_instance(instance, is_create, row, **kwargs)
        if is_create:
            user, _ = User.objects.get_or_create(username=values["username"])
            instance.user = user
        user = instance.user
        for key in ("email", "first_name", "last_name"):
            if values.get(key):
                setattr(user, key, values[key])
        user.save()
        user.groups.add(Group.objects.get(name=CUSTODIANS))
        super().save_instance(instance, is_create, row, **kwargs)

    def after_save_instance(self, instance, row, **kwargs) -> None:
        if not kwargs.get("dry_run") and instance.pk:
            custodian_phone_hash_sync(custodian=instance)


class CustodianByUsernameWidget(widgets.ForeignKeyWidget):
    """A readable row error instead of a DoesNotExist traceback."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except Custodian.DoesNotExist as exc:
            raise ValueError(f"No custodian with username {value!r}.") from exc


class SubjectResource(SensitiveColumnsMixin, resources.ModelResource):
    sensitive = SUBJECT_MEDICAL_FIELDS + SUBJECT_DOCTOR_FIELDS

    custodian = fields.Field(
        attribute="custodian",
        column_name="custodian",
        widget=CustodianByUsernameWidget(Custodian, field="user__username"),
    )

    class Meta:
        model = Subject
        fields = (
            "id",
            "custodian",
            "name",
            "date_of_birth",
            "gender",
            "is_active",
            *SUBJECT_SHARING_FIELDS,
            *SUBJECT_MEDICAL_FIELDS,
            *SUBJECT_DOCTOR_FIELDS,
        )
        clean_model_instances = True
        skip_unchanged = False
