"""The /ops/ console for alerts: the log of deactivated codes being scanned (the spec's exception scenario)."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin

from core.scoping import ScopedAdminMixin

from .models import InactiveCodeScan


@admin.register(InactiveCodeScan)
class InactiveCodeScanAdmin(ScopedAdminMixin, ModelAdmin):
    """Read-only (append-only in alerts.apps): scans are facts. Staff see when and how often a deactivated
    badge turns up."""

    list_display = ["timestamp", "qr_code", "source", "notify", "notified_at", "notified_channel"]
    list_filter = ["source", "notify"]
    date_hierarchy = "timestamp"
    list_select_related = ["qr_code__subject"]
    readonly_fields = [f.name for f in InactiveCodeScan._meta.fields]
