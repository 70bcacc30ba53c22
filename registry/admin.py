"""The /ops/ console (Unfold, staff only): custodians and subjects with import and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from unfold.admin import ModelAdmin
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.widgets import UnfoldBooleanWidget

from core.archiving import ArchivingDeleteAdminMixin
from core.scoping import ScopedAdminMixin

from .models import CUSTODIAN_CONTACT_FIELDS, Custodian, Subject
from .resources import CustodianResource, SubjectResource
from .selectors import deletion_archives
from .services import custodian_remove, subject_remove

if TYPE_CHECKING:  # what the mixin's super() calls reach; at run time it is a plain mixin
    from import_export.admin import ImportExportModelAdmin as _ImportExportBase
else:
    _ImportExportBase = object


class SensitiveExportForm(ExportForm):
    include_sensitive = forms.BooleanField(
        required=False,
        label=_("Include sensitive columns (phones, address, medical and doctor details)"),
        help_text=_("Leave unticked unless this export is needed for care; the file holds decrypted data."),
        widget=UnfoldBooleanWidget,
    )


class SensitiveExportMixin(_ImportExportBase):
    export_form_class = SensitiveExportForm
    import_form_class = ImportForm

    def get_export_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("export_form")
        include = bool(form is not None and getattr(form, "cleaned_data", {}).get("include_sensitive"))
        return {**super().get_export_resource_kwargs(request, **kwargs), "include_sensitive": include}

    def get_import_resource_kwargs(self, request, **kwargs):
        # An import may carry any column; what it writes is validated row by row.
        return {**super().get_import_resource_kwargs(request, **kwargs), "include_sensitive": True}


class RegistryAdmin(
    ScopedAdminMixin, ArchivingDeleteAdminMixin, SensitiveExportMixin, ImportExportModelAdmin, ModelAdmin
):
    """Custodians and subjects alike: scoped, deleted or archived by their service, exported with opt-in columns."""

    deletion_archives = staticmethod(deletion_archives)


@admin.register(Custodian)
class CustodianAdmin(RegistryAdmin):
    remove_object = staticmethod(lambda custodian: custodian_remove(custodian=custodian))
    resource_classes = [CustodianResource]
    list_display = ["__str__", "language", "preferred_channel", "drill_opt_out", "archived_at", "created_at"]
    list_filter = ["language", "preferred_channel", "drill_opt_out", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    readonly_fields = ["phone_hash", "created_at", "updated_at"]
    exclude = CUSTODIAN_CONTACT_FIELDS  # edited in the Wagtail admin through the services


@admin.register(Subject)
class SubjectAdmin(RegistryAdmin):
    remove_object = staticmethod(lambda subject: subject_remove(subject=subject))
    resource_classes = [SubjectResource]
    list_display = ["name", "custodian", "is_active", "archived_at", "created_at"]
    list_filter = ["is_active", "gender", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    fields = ["custodian", "name", "date_of_birth", "gender", "is_active"]
    autocomplete_fields = ["custodian"]
