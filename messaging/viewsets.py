"""Wagtail admin screens: the message log (scoped, append-only: see messaging.apps) and the editor-kept templates."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from core.scoping import ScopedSnippetViewSet, SharedSnippetViewSet

from .models import InboundMessage, Message, MessageTemplate, MetaApproval
from .selectors import meta_template_approval, meta_template_record


class MessageViewSet(ScopedSnippetViewSet):
    model = Message
    icon = "mail"
    menu_label = _("Message log")
    list_display = ["__str__", "recipient_name", "channel", "status", "created_at", "sent_at"]
    list_filter = ["channel", "status", "kind"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "recipient_name",
        "channel",
        "kind",
        "status",
        "subject_line",
        "content",
        "template",
        "template_revision",
        "provider_template",
        "provider_message_id",
        "error_code",
        "error_action",
        "error_message",
        "retry_count",
        "created_at",
        "sent_at",
        "delivered_at",
        "read_at",
    ]


class InboundMessageViewSet(ScopedSnippetViewSet):
    model = InboundMessage
    icon = "comment"
    menu_label = _("Replies")
    list_display = ["__str__", "channel", "in_reply_to", "received_at"]
    list_filter = ["channel"]
    inspect_view_enabled = True
    inspect_view_fields = ["channel", "body", "payload", "in_reply_to", "received_at"]


def _approval(template: MessageTemplate) -> str:
    status = meta_template_approval(template)
    if not status:
        return "—"
    return status if status == MetaApproval.APPROVED else f"⚠ {status}: not used on WhatsApp"


def _category_quality(template: MessageTemplate) -> str:
    record = meta_template_record(template)
    if record is None:
        return "—"
    return " · ".join(p for p in (record.category or "?", record.quality or "?") if p)


class MessageTemplateViewSet(SharedSnippetViewSet):
    """Editors keep these; drafts and revisions from Wagtail, only the live version is sent."""

    model = MessageTemplate
    icon = "doc-full"
    menu_label = _("Templates")
    list_display = [
        "name",
        "kind",
        "language",
        "channel",
        "is_active",
        Column("meta", label=_("Meta approval"), accessor=_approval),
        Column("meta_category", label=_("Meta category · quality"), accessor=_category_quality),
    ]
    list_filter = ["kind", "language", "channel", "is_active", "live"]
    search_fields = ["name", "content"]
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("language"),
        FieldPanel("channel"),
        FieldPanel("subject_line"),
        FieldPanel("content"),
        FieldPanel("variables", read_only=True),
        FieldPanel("is_active"),
        MultiFieldPanel(
            [
                FieldPanel("whatsapp_template_name"),
                FieldPanel("whatsapp_language_code"),
                FieldPanel("whatsapp_parameters"),
                FieldPanel("twilio_content_sid"),
            ],
            heading=_("WhatsApp template (outside the 24-hour window only approved templates are delivered)"),
        ),
    ]


class MessagingViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Messaging")
    menu_icon = "mail"
    menu_order = 110
    items = (MessageViewSet, InboundMessageViewSet, MessageTemplateViewSet)
