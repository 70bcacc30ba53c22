"""The /ops/ console for alerts: the log of deactivated codes being scanned (the spec's exception scenario)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from .models import InactiveCodeScan


@admin.register(InactiveCodeScan)
class InactiveCodeScanAdmin(ModelAdmin):
    """Read-only: scans are facts. Staff see when and how often a deactivated badge turns up."""

    list_display = ["timestamp", "qr_code", "source", "notify", "notified_at", "notified_channel"]
    list_filter = ["source", "notify"]
    date_hierarchy = "timestamp"
    list_select_related = ["qr_code__subject"]
    readonly_fields = [f.name for f in InactiveCodeScan._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
