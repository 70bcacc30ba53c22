"""Role names and the one test for "staff sees everything", shared by every app's selectors."""

from __future__ import annotations

CUSTODIANS, EDITORS, STAFF = "Custodians", "Content editors", "Staff"


def user_is_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or user.groups.filter(name=STAFF).exists())
