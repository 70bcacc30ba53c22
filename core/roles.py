"""Role names and the one test for "staff sees everything", shared by every app's selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, TypeVar

from django.db.models import Q
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import Model, QuerySet
    from django.http import HttpRequest

    # What `request.user` is: the signed-in user or the anonymous one (`if user.is_authenticated` narrows it).
    RequestUser: TypeAlias = User | AnonymousUser

    class AuthenticatedRequest(HttpRequest):
        """A request that passed a sign-in check (`login_required`, the Wagtail admin): its user is a User."""

        user: User


M = TypeVar("M", bound="Model")

CUSTODIANS, EDITORS, STAFF = "Custodians", "Content editors", "Staff"
# The groups' names are keys (code and data migrations look them up); people read these instead.
ROLE_LABELS = {
    CUSTODIANS: gettext_lazy("Custodians"),
    EDITORS: gettext_lazy("Content editors"),
    STAFF: gettext_lazy("Staff"),
}


def role_label(group_name: str) -> str:
    """A group's name as the viewer's language has it (a group staff made themselves keeps its own name)."""
    return str(ROLE_LABELS.get(group_name, group_name))


def user_is_staff(user: RequestUser | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_staff or user.groups.filter(name=STAFF).exists())


def user_keeps_wagtail_admin(user: RequestUser | None) -> bool:
    """Staff and content editors work in Wagtail's own admin (pages, search, help); everyone else, the custodians,
    sees Keryu's console in it instead."""
    if user is None or not user.is_authenticated:
        return False
    return user_is_staff(user) or user.groups.filter(name=EDITORS).exists()


def scope_to_owner(queryset: QuerySet[M], user: RequestUser | None, *, owner: str, **also: object) -> QuerySet[M]:
    """The one shape of every family-data selector: staff reach all of `queryset`, an anonymous visitor none
    of it, anyone else the rows whose `owner` lookup (`"custodian__user"`) is them, narrowed by `also`
    (`archived_at__isnull=True`: archived records are hidden from their custodian, not from staff)."""
    if user_is_staff(user):
        return queryset
    if user is None or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(**{owner: user}, **also)


def staff_users_q() -> Q:
    """user_is_staff as a filter on users (add is_active where it matters); apply .distinct() after it."""
    return Q(is_superuser=True) | Q(is_staff=True) | Q(groups__name=STAFF)
