"""Reads for messaging."""

from __future__ import annotations

from django.db.models import QuerySet

from keryu_site.roles import user_is_staff

from .models import Message


def messages_visible_to(user) -> QuerySet[Message]:
    qs = Message.objects.select_related("template")
    if user_is_staff(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(owner=user)


def channel_order() -> list[str]:
    """Channel keys in the order delivery tries them. Staff set it in the admin (messaging issue)."""
    from django.conf import settings

    return list(settings.KERYU_CHANNEL_ORDER) or ["development"]
