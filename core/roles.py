"""Role names and the one test for "staff sees everything", shared by every app's selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    # What `request.user` is: the signed-in user or the anonymous one (`if user.is_authenticated` narrows it).
    RequestUser: TypeAlias = User | AnonymousUser

    class AuthenticatedRequest(HttpRequest):
        """A request that passed a sign-in check (`login_required`, the Wagtail admin): its user is a User."""

        user: User


CUSTODIANS, EDITORS, STAFF = "Custodians", "Content editors", "Staff"


def user_is_staff(user: RequestUser | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_staff or user.groups.filter(name=STAFF).exists())
