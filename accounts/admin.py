"""The /ops/ console: security events (read-only), MFA device resets (audited) and staff's on-call list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp import devices_for_user
from unfold.admin import ModelAdmin, StackedInline
from unfold.decorators import action

from core.clientip import client_ip

from . import services
from .models import SecurityEvent, StaffProfile, UserMFA


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "user", "actor", "username", "ip_address", "path"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address", "path"]
    date_hierarchy = "created_at"


@admin.register(UserMFA)
class UserMFAAdmin(ReadOnlyAdmin):
    list_display = ["username", "email", "is_active", "devices"]
    search_fields = ["username", "email"]
    actions = ["reset_devices"]
    actions_detail = ["reset_devices_detail"]

    @admin.display(description=_("OTP devices"))
    def devices(self, obj) -> int:
        return len(list(devices_for_user(obj, confirmed=None)))

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("otp_totp.delete_totpdevice")

    @action(description=_("Reset MFA devices"), permissions=["reset"])
    def reset_devices(self, request, queryset) -> None:
        for user in queryset:
            services.mfa_devices_reset(user=user, actor=request.user, ip_address=client_ip(request))
        messages.success(
            request,
            ngettext("MFA devices reset for %(n)d user.", "MFA devices reset for %(n)d users.", queryset.count())
            % {"n": queryset.count()},
        )

    @action(description=_("Reset MFA devices"), permissions=["reset"])
    def reset_devices_detail(self, request, object_id):
        from django.shortcuts import redirect

        user = UserMFA.objects.get(pk=object_id)
        services.mfa_devices_reset(user=user, actor=request.user, ip_address=client_ip(request))
        messages.success(request, _("MFA devices reset."))
        return redirect("admin:accounts_usermfa_changelist")

    def has_reset_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("otp_totp.delete_totpdevice") and request.user.has_perm(
            "otp_static.delete_staticdevice"
        )


@admin.register(StaffProfile)
class StaffProfileAdmin(ModelAdmin):
    """Who is on call: told at once, on their own channels, when an alarm nobody acknowledged goes to staff."""

    list_display = ["user", "on_call", "preferred_channel", "language"]
    list_editable = ["on_call"]
    list_filter = ["on_call"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    fields = ["user", "on_call", "preferred_channel", "phone_number", "language"]


class StaffProfileInline(StackedInline):
    """The same on the user's page in /ops/ (keryu_site.ops_admin's UserAdmin)."""

    model = StaffProfile
    can_delete = False
    fields = ["on_call", "preferred_channel", "phone_number", "language"]
    verbose_name_plural = _("On call")


def restyle_third_party(site: admin.AdminSite) -> None:
    """Unfold-styled, read-only audit log and axes records. Called from keryu_site.ops_admin."""
    from auditlog.admin import LogEntryAdmin as BaseLogEntryAdmin
    from auditlog.models import LogEntry
    from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
    from axes.admin import AccessFailureLogAdmin as BaseAccessFailureLogAdmin
    from axes.admin import AccessLogAdmin as BaseAccessLogAdmin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    pairs = [
        (LogEntry, BaseLogEntryAdmin),
        (AccessAttempt, BaseAccessAttemptAdmin),
        (AccessLog, BaseAccessLogAdmin),
        (AccessFailureLog, BaseAccessFailureLogAdmin),
    ]
    for model, base in pairs:
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, type(f"Unfold{base.__name__}", (base, ModelAdmin), {}))
