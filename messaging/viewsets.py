"""Wagtail admin screens: the message log (scoped) and the editor-kept templates."""

from __future__ import annotations

from wagtail.admin.panels import FieldPanel
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from keryu_site.scoping import ScopedSnippetViewSet

from .models import Message, MessageTemplate
from .selectors import messages_visible_to


class MessageViewSet(ScopedSnippetViewSet):
    model = Message
    icon = "mail"
    menu_label = "Message log"
    list_display = ["__str__", "recipient_name", "channel", "status", "created_at", "sent_at"]
    list_filter = ["channel", "status"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "recipient_name",
        "channel",
        "status",
        "subject_line",
        "content",
        "template",
        "provider_message_id",
        "error_message",
        "retry_count",
        "created_at",
        "sent_at",
    ]

    def scope(self, request):
        return messages_visible_to(request.user)


class MessageTemplateViewSet(SnippetViewSet):
    model = MessageTemplate
    icon = "doc-full"
    menu_label = "Templates"
    list_display = ["name", "kind", "language", "channel", "is_active"]
    list_filter = ["kind", "language", "channel", "is_active"]
    search_fields = ["name", "content"]
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("language"),
        FieldPanel("channel"),
        FieldPanel("subject_line"),
        FieldPanel("content"),
        FieldPanel("is_active"),
    ]


class MessagingViewSetGroup(SnippetViewSetGroup):
    menu_label = "Messaging"
    menu_icon = "mail"
    menu_order = 110
    items = (MessageViewSet, MessageTemplateViewSet)
