"""What keeps core.scoping from being forgotten: a start-up check and the staff-only Wagtail reports.

`check_consoles_are_scoped` is a Django system check (registered in registry's AppConfig.ready), so
`manage.py check`, `migrate` and `runserver` refuse to start when:
- a Wagtail snippet viewset is neither a ScopedSnippetViewSet (family data) nor a SharedSnippetViewSet
  (shared content), or is shared but its model holds family data, or its model has no registered scope,
  or its chooser is not the scoped one;
- an /ops/ ModelAdmin serves a model holding family data without ScopedAdminMixin;
- an append-only model can be added, changed or deleted by a superuser in either console.
A model holds family data when it has a registered scope, or a chain of foreign keys leads to one.

Wagtail's own reports (site history, page and workflow reports, aging and locked pages) list objects
across every family and cannot be scoped: `StaffOnlyReportsMiddleware` answers 404 to anyone but staff,
and `hide_reports_from_non_staff` (a `construct_reports_menu` hook) keeps them out of the menu.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.apps import AppConfig
from django.contrib import admin
from django.contrib.auth.models import User
from django.core import checks
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from .roles import user_is_staff
from .scoping import (
    ScopedAdminMixin,
    ScopedChooserViewSet,
    ScopedSnippetViewSet,
    SharedSnippetViewSet,
    is_append_only,
    scoped_models,
)

# Wagtail's report views (their URL namespace): cross-family by construction.
STAFF_ONLY_NAMESPACES = frozenset({"wagtailadmin_reports"})
_DEPTH = 4


def holds_family_data(model: type[Model], depth: int = _DEPTH) -> bool:
    """A scoped model, or one whose foreign keys lead to one within `depth` hops."""
    if model in scoped_models():
        return True
    if depth == 0:
        return False
    for field in model._meta.get_fields():
        if field.is_relation and (field.many_to_one or field.one_to_one) and not field.auto_created:
            target = field.related_model
            if isinstance(target, type) and target is not model and holds_family_data(target, depth - 1):
                return True
    return False


def _superuser_request() -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = User(username="scoping-check", is_superuser=True, is_staff=True, is_active=True)
    return request


# Every refusal the check can give: id -> (message, hint). `{label}` names the viewset or ModelAdmin and its
# model; `{writable}` the writes an append-only model's admin still allows.
PROBLEMS: dict[str, tuple[str, str | None]] = {
    "keryu.E001": (
        "{label} is not scoped.",
        "Subclass core.scoping.ScopedSnippetViewSet (family data, with scope_register) "
        "or SharedSnippetViewSet (shared content).",
    ),
    "keryu.E002": (
        "{label} is shared but its model holds family data.",
        "Use ScopedSnippetViewSet and register the model's selector with scope_register.",
    ),
    "keryu.E003": (
        "{label} has no registered scope.",
        "Call core.scoping.scope_register(model, selector) in the app's ready().",
    ),
    "keryu.E004": ("{label} has an unscoped chooser.", "Its chooser_viewset_class must subclass ScopedChooserViewSet."),
    "keryu.E005": ("{label} is append-only but its admin allows {writable}.", None),
    "keryu.E006": (
        "/ops/ admin {label} serves family data unscoped.",
        "Put core.scoping.ScopedAdminMixin first in its bases (and scope_register the model).",
    ),
    "keryu.E007": ("/ops/ admin {label} is append-only but allows {writable}.", None),
}


def _error(problem: str, **values: object) -> checks.Error:
    message, hint = PROBLEMS[problem]
    return checks.Error(message.format(**values), hint=hint, id=problem)


def _snippet_errors() -> Iterator[checks.Error]:
    from wagtail.permissions import policy_registry
    from wagtail.snippets.models import get_snippet_models

    superuser = _superuser_request().user
    for model in get_snippet_models():
        viewset = model.snippet_viewset
        label = f"{type(viewset).__name__} ({model._meta.label})"
        scoped = isinstance(viewset, ScopedSnippetViewSet)
        if not scoped and not isinstance(viewset, SharedSnippetViewSet):
            yield _error("keryu.E001", label=label)
        elif not scoped and holds_family_data(model):
            yield _error("keryu.E002", label=label)
        if scoped and model not in scoped_models():
            yield _error("keryu.E003", label=label)
        if scoped and not issubclass(viewset.chooser_viewset_class, ScopedChooserViewSet):
            yield _error("keryu.E004", label=label)
        if is_append_only(model):
            policy = policy_registry.get_by_type(model)
            writable = [a for a in ("add", "change", "delete") if policy.user_has_permission(superuser, a)]
            if writable or not scoped:
                yield _error("keryu.E005", label=label, writable=writable or "writes")


def _ops_errors() -> Iterator[checks.Error]:
    request = _superuser_request()
    for model, model_admin in admin.site._registry.items():
        label = f"{type(model_admin).__name__} ({model._meta.label})"
        if holds_family_data(model) and not isinstance(model_admin, ScopedAdminMixin):
            yield _error("keryu.E006", label=label)
        if is_append_only(model):
            writable = [
                name
                for name, allowed in (
                    ("add", model_admin.has_add_permission(request)),
                    ("change", model_admin.has_change_permission(request)),
                    ("delete", model_admin.has_delete_permission(request)),
                )
                if allowed
            ]
            if writable:
                yield _error("keryu.E007", label=label, writable=writable)


def check_consoles_are_scoped(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from django.urls import get_resolver
    from wagtail import hooks

    get_resolver().url_patterns  # noqa: B018  (the URLconf registers the snippets and the /ops/ re-registrations)
    hooks.search_for_hooks()
    return [*_snippet_errors(), *_ops_errors()]


def register_checks() -> None:
    checks.register(check_consoles_are_scoped, checks.Tags.security)


# --- Wagtail's reports: staff only -----------------------------------------------------------------------


class StaffOnlyReportsMiddleware:
    """404 for anyone but staff on Wagtail's built-in reports (they cannot be scoped to one family)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        match = request.resolver_match
        if match is None or not STAFF_ONLY_NAMESPACES & set(match.namespaces):
            return None
        # Anonymous visitors go on to the admin's own sign-in redirect; signed-in non-staff get nothing.
        if request.user.is_authenticated and not user_is_staff(request.user):
            raise Http404
        return None


def hide_reports_from_non_staff(request: HttpRequest, menu_items: list[Any]) -> None:
    """`construct_reports_menu` hook: non-staff see none of Wagtail's own reports in the menu."""
    if not user_is_staff(request.user):
        menu_items[:] = [item for item in menu_items if not STAFF_ONLY_NAMESPACES & set(resolve(item.url).namespaces)]
