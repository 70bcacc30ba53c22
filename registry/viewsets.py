"""Wagtail admin screens for the registry (snippet viewsets, scoped to the user's own records).

Scoping: core.scoping, from the selectors registered in registry.apps: every object view, the
chooser, bulk actions and the permission policy (404 outside the selector's scope).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, Table, TitleColumn
from wagtail.snippets.views.snippets import DeleteView, InspectView, SnippetViewSetGroup

from core.inspect import YesNoInspectView
from core.scoping import ScopedSnippetViewSet

from .forms import CustodianForm, QRCodeForm, SubjectForm
from .models import (
    CUSTODIAN_CONTACT_FIELDS,
    SUBJECT_DOCTOR_FIELDS,
    SUBJECT_DOCTOR_SHARING_FIELDS,
    SUBJECT_MEDICAL_FIELDS,
    SUBJECT_SHARING_FIELDS,
    Custodian,
    QRCode,
    Subject,
)
from .selectors import deletion_archives, qr_code_usage, subject_scan_history, subjects_removable_by
from .services import Removal, custodian_remove, subject_remove

# --- Listing columns -------------------------------------------------------------------------------


def _status_badge(code: QRCode) -> str:
    if code.is_active:
        return format_html('<span class="w-status w-status--primary">{}</span>', _("Active"))
    return format_html('<span class="w-status">{}</span>', _("Inactive"))


class StatusColumn(Column):
    def get_value(self, instance):
        return _status_badge(instance)


class ToggleColumn(Column):
    cell_template_name = "registry/toggle_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context.update(
            code=instance,
            toggle_url=reverse("registry_qr_toggle", args=[instance.pk]),
            request=request,
            # The cell renders in a plain context without the CSRF processor: give its form the token.
            csrf_token=get_token(request) if request is not None else "",
        )
        return context


def subject_codes_table(codes: list[QRCode]) -> Table:
    """A subject's codes on its inspect page, with the status badge the codes listing shows."""
    columns = [
        TitleColumn("short_code", label=_("Code"), url_name="wagtailsnippets_registry_qrcode:inspect"),
        StatusColumn("status", label=_("Status")),
        Column("activated_at", label=_("Activated"), accessor=lambda code: code.activated_at or "-"),
        Column("last_used", label=_("Last used"), accessor=lambda code: code.last_used or _("never")),
    ]
    return Table(columns, codes)


def test_alarm_url(code: QRCode) -> str | None:
    """The alerts app's TEST-alarm view, if installed (registry must not import alerts)."""
    try:
        return reverse("alerts_test_alarm", args=[code.pk])
    except NoReverseMatch:
        return None


# --- Delete or archive ------------------------------------------------------------------------------


class ArchivingDeleteView(DeleteView):
    """Wagtail's delete, except that a record alarms refer to is archived (registry.services), never deleted.

    The confirmation page says in advance which of the two will happen. Wagtail's own reference check would
    refuse a protected record outright; here the protection is what turns the delete into an archive.
    """

    def get_template_names(self) -> list[str]:
        # The viewset passes Wagtail's snippet template; this page must say delete-or-archive instead.
        return ["registry/confirm_delete_or_archive.html"]

    def remove(self) -> Removal:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            archives=deletion_archives(self.object),
            retention_days=settings.KERYU_ARCHIVE_RETENTION_DAYS,
            is_protected=False,
        )
        return context

    def form_valid(self, form):
        success_url = self.get_success_url()
        label = str(self.object)
        if self.remove() is Removal.ARCHIVED:
            messages.success(self.request, _("“%(name)s” has alarm history: archived, not deleted.") % {"name": label})
        else:
            messages.success(self.request, self.get_success_message())
        return HttpResponseRedirect(success_url)


class SubjectDeleteView(ArchivingDeleteView):
    """A co-custodian may not archive a shared subject for everyone: refused with a message, on to the household
    page where they can leave instead (the Delete button is hidden from them by the permission policy)."""

    def dispatch(self, request, *args, **kwargs):
        if not subjects_removable_by(request.user).filter(pk=self.object.pk).exists():
            messages.error(
                request,
                _("Only the first custodian of %(name)s can archive them. You can leave the household instead.")
                % {"name": self.object.name},
            )
            return redirect("keryu_household", pk=self.object.pk)
        return super().dispatch(request, *args, **kwargs)

    def remove(self) -> Removal:
        return subject_remove(subject=self.object, actor=self.request.user)


class CustodianDeleteView(ArchivingDeleteView):
    def remove(self) -> Removal:
        return custodian_remove(custodian=self.object)


# --- Subjects ---------------------------------------------------------------------------------------


class SubjectInspectView(YesNoInspectView, InspectView):
    template_name = "registry/subject_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        codes = list(self.object.qr_codes.all())
        context["codes_table"] = subject_codes_table(codes)
        context["contacts"] = self.object.contacts.all()
        context["active_code"] = next((code for code in codes if code.is_active), None)
        context["scan_history"] = subject_scan_history(self.object)
        # A co-custodian leaves the household instead of archiving the subject for everyone.
        context["can_remove"] = subjects_removable_by(self.request.user).filter(pk=self.object.pk).exists()
        return context


class SubjectViewSet(ScopedSnippetViewSet):
    model = Subject
    icon = "user"
    menu_label = _("Subjects")
    list_display = ["name", "date_of_birth", "custodian", "is_active"]
    list_filter = ["is_active", "gender"]
    search_fields = ["name"]
    inspect_view_enabled = True
    inspect_view_class = SubjectInspectView
    inspect_view_fields = [
        "name",
        "custodian",
        "date_of_birth",
        "gender",
        "is_active",
        *SUBJECT_MEDICAL_FIELDS,
        *SUBJECT_DOCTOR_FIELDS,
        *SUBJECT_SHARING_FIELDS,
        *SUBJECT_DOCTOR_SHARING_FIELDS,
    ]
    delete_view_class = SubjectDeleteView
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("custodian"),
                    FieldPanel("name"),
                    FieldPanel("display_name"),
                    FieldPanel("date_of_birth"),
                    FieldPanel("gender"),
                    FieldPanel("is_active"),
                    FieldPanel("photo_upload"),
                    FieldPanel("photo_remove"),
                ],
                heading=_("Person"),
            ),
            MultiFieldPanel([FieldPanel(name) for name in SUBJECT_MEDICAL_FIELDS], heading=_("Medical (encrypted)")),
            MultiFieldPanel([FieldPanel(name) for name in SUBJECT_DOCTOR_FIELDS], heading=_("Doctor (encrypted)")),
            InlinePanel("contacts", heading=_("Emergency contacts"), label=_("Contact")),
            MultiFieldPanel(
                [FieldPanel(name) for name in SUBJECT_SHARING_FIELDS],
                heading=_("What a finder sees (the first name is always shown)"),
            ),
            MultiFieldPanel(
                [FieldPanel(name) for name in SUBJECT_DOCTOR_SHARING_FIELDS],
                heading=_("What the doctor sees during an alarm (besides what a finder sees)"),
            ),
        ],
        base_form_class=SubjectForm,
    )


# --- QR codes ---------------------------------------------------------------------------------------


class QRCodeInspectView(YesNoInspectView, InspectView):
    template_name = "registry/qrcode_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["code"] = self.object
        context["usage"] = qr_code_usage(self.object)
        context["test_alarm_url"] = test_alarm_url(self.object)
        return context


class QRCodeViewSet(ScopedSnippetViewSet):
    model = QRCode
    icon = "crosshairs"
    menu_label = _("QR codes")
    list_display = [
        "short_code",
        "subject",
        StatusColumn("status", label=_("Status")),
        ToggleColumn("toggle", label=_("Switch")),
        "activated_at",
        "last_used",
    ]
    list_filter = ["is_active"]
    search_fields = ["subject__name"]
    inspect_view_enabled = True
    inspect_view_class = QRCodeInspectView
    inspect_view_fields = ["short_code", "uuid", "subject", "is_active", "created_at", "activated_at", "last_used"]
    edit_handler = ObjectList([FieldPanel("subject")], base_form_class=QRCodeForm)


# --- Custodians -------------------------------------------------------------------------------------


class CustodianInspectView(YesNoInspectView, InspectView):
    pass


class CustodianViewSet(ScopedSnippetViewSet):
    model = Custodian
    icon = "group"
    menu_label = _("Custodians")
    list_display = ["__str__", "language", "preferred_channel", "created_at"]
    list_filter = ["language", "preferred_channel", "drill_opt_out"]
    search_fields = ["user__first_name", "user__last_name", "user__email"]
    inspect_view_enabled = True
    inspect_view_class = CustodianInspectView
    inspect_view_fields = [
        "user",
        *CUSTODIAN_CONTACT_FIELDS,
        "language",
        "preferred_channel",
        "email_verified_at",
        "phone_verified_at",
        "drill_opt_out",
        "created_at",
    ]
    delete_view_class = CustodianDeleteView
    edit_handler = ObjectList(
        [
            *[FieldPanel(name) for name in CUSTODIAN_CONTACT_FIELDS],
            FieldPanel("language"),
            FieldPanel("preferred_channel"),
            FieldPanel("drill_opt_out"),
        ],
        base_form_class=CustodianForm,
    )


class RegistryViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Registry")
    menu_icon = "folder-open-inverse"
    menu_order = 100
    items = (SubjectViewSet, QRCodeViewSet, CustodianViewSet)
