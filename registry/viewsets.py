"""Wagtail admin screens for the registry (snippet viewsets, scoped to the user's own records)."""

from __future__ import annotations

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from keryu_site.scoping import ScopedSnippetViewSet

from .models import Custodian, QRCode, Subject
from .selectors import custodians_visible_to, qr_codes_visible_to, subjects_visible_to


class SubjectViewSet(ScopedSnippetViewSet):
    model = Subject
    icon = "user"
    menu_label = "Subjects"
    list_display = ["name", "date_of_birth", "custodian", "is_active"]
    list_filter = ["is_active", "gender"]
    search_fields = ["name"]
    inspect_view_enabled = True
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("custodian"),
                FieldPanel("name"),
                FieldPanel("date_of_birth"),
                FieldPanel("gender"),
                FieldPanel("is_active"),
            ],
            heading="Person",
        ),
        MultiFieldPanel(
            [FieldPanel("medical_conditions"), FieldPanel("allergies"), FieldPanel("medications")], heading="Medical"
        ),
        MultiFieldPanel(
            [
                FieldPanel("doctor_name"),
                FieldPanel("doctor_phone"),
                FieldPanel("doctor_address"),
                FieldPanel("doctor_speciality"),
            ],
            heading="Doctor",
        ),
    ]

    def scope(self, request):
        return subjects_visible_to(request.user)


class QRCodeViewSet(ScopedSnippetViewSet):
    model = QRCode
    icon = "crosshairs"
    menu_label = "QR codes"
    list_display = ["short_code", "subject", "is_active", "activated_at", "last_used"]
    list_filter = ["is_active"]
    inspect_view_enabled = True
    inspect_view_fields = ["uuid", "subject", "is_active", "created_at", "activated_at", "last_used"]
    panels = [FieldPanel("subject"), FieldPanel("is_active")]

    def scope(self, request):
        return qr_codes_visible_to(request.user)


class CustodianViewSet(ScopedSnippetViewSet):
    model = Custodian
    icon = "group"
    menu_label = "Custodians"
    list_display = ["__str__", "language", "created_at"]
    inspect_view_enabled = True
    panels = [FieldPanel("phone_number"), FieldPanel("emergency_phone"), FieldPanel("address"), FieldPanel("language")]

    def scope(self, request):
        return custodians_visible_to(request.user)


class RegistryViewSetGroup(SnippetViewSetGroup):
    menu_label = "Registry"
    menu_icon = "folder-open-inverse"
    menu_order = 100
    items = (SubjectViewSet, QRCodeViewSet, CustodianViewSet)
