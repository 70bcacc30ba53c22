"""Role names and the one test for "staff sees everything", shared by every app's selectors."""

from __future__ import annotations

from django.db.models import Q

CUSTODIANS, EDITORS, STAFF = "Custodians", "Content editors", "Staff"


def user_is_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or user.groups.filter(name=STAFF).exists())


def staff_users_q() -> Q:
    """user_is_staff as a filter on users (add is_active where it matters); apply .distinct() after it."""
    return Q(is_superuser=True) | Q(is_staff=True) | Q(groups__name=STAFF)
