"""The /ops/ console for messaging: channel order, which channels are configured, test sends, provider state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from core.scoping import ScopedAdminMixin

from .forms import TestMessageForm
from .models import ChannelSetting, FlaggedAddress, MetaTemplateStatus
from .selectors import channel_is_configured, channel_order
from .services import channel_test_send
from .services.template_submission import templates_submit

if TYPE_CHECKING:
    from core.roles import AuthenticatedRequest


@admin.register(ChannelSetting)
class ChannelSettingAdmin(ModelAdmin):
    list_display = ["key", "position", "configured", "in_effect"]
    list_editable = ["position"]
    ordering = ["position", "key"]
    actions_row = ["send_test"]
    fields = ["key", "position"]
    readonly_fields = ["key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row per channel, created by the app

    def has_delete_permission(self, request: HttpRequest, obj: ChannelSetting | None = None) -> bool:
        return False

    @display(description=_("Credentials set"), boolean=True)
    def configured(self, obj: ChannelSetting) -> bool:
        return channel_is_configured(obj.key)

    @display(description=_("Used now (order)"))
    def in_effect(self, obj: ChannelSetting) -> str:
        order = channel_order()
        return str(order.index(obj.key) + 1) if obj.key in order else "—"

    @action(description=_("Send test message"), url_path="send-test", permissions=["change"])
    def send_test(self, request: AuthenticatedRequest, object_id: str) -> HttpResponse:
        setting = get_object_or_404(ChannelSetting, pk=object_id)
        form = TestMessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outcome = channel_test_send(
                channel=setting.key,
                to=form.cleaned_data["to"],
                language=form.cleaned_data["language"],
                user=request.user,
            )
            if outcome.ok:
                messages.success(
                    request,
                    _("%(channel)s: accepted by the provider, id %(provider_id)s (message #%(message_id)s).")
                    % {
                        "channel": setting,
                        "provider_id": outcome.provider_message_id,
                        "message_id": outcome.message_id,
                    },
                )
            else:
                messages.error(
                    request,
                    _("%(channel)s: not sent (code %(code)s, action %(action)s): %(detail)s")
                    % {
                        "channel": setting,
                        "code": outcome.error_code or "-",
                        "action": outcome.action,
                        "detail": outcome.detail,
                    },
                )
            return redirect(reverse("admin:messaging_channelsetting_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send a test message through %(channel)s") % {"channel": setting},
            "form": form,
            "setting": setting,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "messaging/admin/test_message.html", context)


@admin.register(MetaTemplateStatus)
class MetaTemplateStatusAdmin(ModelAdmin):
    """Meta's word on each WhatsApp template (status, category, quality), from its webhooks; a template that is
    not APPROVED, or was recategorised, is not sent (the next channel takes over)."""

    list_display = ["name", "language_code", "status", "category", "quality", "recategorised", "reason", "updated_at"]
    list_filter = ["status", "category", "quality", "recategorised"]
    search_fields = ["name"]
    actions_list = ["submit_templates"]

    @action(description=_("Submit the shipped templates to Meta"), url_path="submit-templates", permissions=["change"])
    def submit_templates(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return TemplateResponse(
                request,
                "messaging/admin/submit_templates.html",
                {**self.admin_site.each_context(request), "title": _("Submit the shipped WhatsApp templates to Meta")},
            )
        for outcome in templates_submit():
            text = "{} ({}): {}".format(outcome.name, outcome.language, outcome.detail or _("submitted"))
            (messages.success if outcome.ok else messages.error)(request, text)
        return redirect(reverse("admin:messaging_metatemplatestatus_changelist"))


@admin.register(FlaggedAddress)
class FlaggedAddressAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["channel", "reason", "code", "message", "flagged_at"]
    list_filter = ["reason", "channel", "code"]
    readonly_fields = ["channel", "address_hash", "reason", "code", "message", "flagged_at"]
