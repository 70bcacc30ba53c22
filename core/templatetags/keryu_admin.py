"""Template helpers for Keryu's console inside Wagtail's admin (who is looking: staff or a custodian)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.translation import gettext

from core.roles import user_is_staff

if TYPE_CHECKING:
    from core.roles import RequestUser

register = template.Library()


@register.filter
def is_keryu_staff(user: RequestUser | None) -> bool:
    """Staff keep Wagtail's full admin; everyone else sees Keryu's console."""
    return user_is_staff(user)


@register.filter
def yes_no(value: object) -> str:
    """A boolean as the words a person reads ("Yes"/"No", translated), never True/False."""
    return gettext("Yes") if value else gettext("No")
