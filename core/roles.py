"""Role names and the one test for "staff sees everything", shared by every app's selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

M = TypeVar("M", bound="Model")

CUSTODIANS, EDITORS, STAFF = "Custodians", "Content editors", "Staff"


def user_is_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or user.groups.filter(name=STAFF).exists())


def scope_to_owner(queryset: QuerySet[M], user, *, owner: str, **also: object) -> QuerySet[M]:
    """The one shape of every family-data selector: staff reach all of `queryset`, an anonymous visitor none
    of it, anyone else the rows whose `owner` lookup (`"custodian__user"`) is them, narrowed by `also`
    (`archived_at__isnull=True`: archived records are hidden from their custodian, not from staff)."""
    if user_is_staff(user):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(**{owner: user}, **also)
