"""Template helpers for Keryu's console inside Wagtail's admin (who is looking: staff or a custodian)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from core.roles import user_keeps_wagtail_admin

if TYPE_CHECKING:
    from core.roles import RequestUser

register = template.Library()


@register.filter
def keeps_wagtail_admin(user: RequestUser | None) -> bool:
    """Staff and editors keep Wagtail's full admin; custodians see Keryu's console."""
    return user_keeps_wagtail_admin(user)
