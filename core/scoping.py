"""One scoping mechanism for both consoles: which rows of a model a user may reach, and which records nobody edits.

Each app registers, in its AppConfig.ready(), one selector per model holding family data
(`scope_register(Alarm, alarms_visible_to, append_only=True)`). Everything else reads that registry:

- `ScopedSnippetViewSet` (Wagtail): the listing, every object view (edit, delete, inspect, history, usage,
  revisions, lock: a guard answers 404 outside the scope before the view runs), the chooser (choose,
  results, chosen, chosen-multiple; creating from the modal is off) and the permission policy that Wagtail
  asks before showing a button. Wagtail scopes only the listing by itself; its other views look objects
  up by primary key and check model permission alone (shared/STACK.md, trap 4).
- `ScopedBulkActionMixin`: bulk actions drop ids outside the scope before loading anything.
- `ScopedAdminMixin` (/ops/, Django admin): the queryset behind the changelist, change, delete and history.
- Append-only models (the message log, attempts, alarms, notes) are refused add, change and delete in both
  consoles, for everyone including superusers: the permission policy says no, and the views answer 404.

`SharedSnippetViewSet` is for shared content (templates, escalation policy): model permissions only.
core.scoping_checks refuses, at start-up, a snippet viewset or /ops/ admin that skips all this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.dispatch import Signal
from django.http import Http404, HttpRequest
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenMultipleView,
    SnippetChosenView,
    SnippetCreateView,
)
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.views import View
    from wagtail.snippets.views.snippets import IndexView as _IndexViewBase

    from .roles import RequestUser

    # What each mixin's super() calls reach; at run time the mixins are plain.
    _AdminBase = ModelAdmin[Any]
    _ViewBase = View
else:
    _AdminBase = _ViewBase = _IndexViewBase = object

# Sent (with `request`) whenever a guard refuses an object; the accounts app records it as a security event.
object_access_refused = Signal()

# Actions that write: refused on append-only models, whoever asks.
WRITE_ACTIONS = frozenset({"add", "change", "delete", "publish", "lock", "unlock"})


@dataclass(frozen=True)
class Scope:
    selector: Callable[..., QuerySet[Any]]  # selector(user) -> what the user may reach
    append_only: bool
    # removable(user) -> what the user may delete, where that is narrower than what they reach (a shared subject:
    # only its first custodian takes it from the household). None: whatever they reach.
    removable: Callable[..., QuerySet[Any]] | None = None


_SCOPES: dict[type[Model], Scope] = {}


def scope_register(
    model: type[Model],
    selector: Callable[..., QuerySet[Any]],
    *,
    append_only: bool = False,
    removable: Callable[..., QuerySet[Any]] | None = None,
) -> None:
    """Declare `model` family data reachable through `selector`; called from the owning app's ready()."""
    _SCOPES[model] = Scope(selector=selector, append_only=append_only, removable=removable)
    register_permission_policy(model, ScopedPermissionPolicy(model))


def scoped_models() -> dict[type[Model], Scope]:
    return dict(_SCOPES)


def scope_for(model: type[Model], user: RequestUser) -> QuerySet[Any]:
    """Everything of `model` that `user` may reach (LookupError for a model nobody declared: fail loudly)."""
    try:
        return _SCOPES[model].selector(user)
    except KeyError:
        raise LookupError(f"{model._meta.label} has no registered scope (core.scoping.scope_register)") from None


def removable_for(model: type[Model], user: RequestUser) -> QuerySet[Any]:
    """Everything of `model` that `user` may delete: the registered `removable`, else the whole scope."""
    scope = _SCOPES.get(model)
    if scope is None:
        raise LookupError(f"{model._meta.label} has no registered scope (core.scoping.scope_register)")
    return (scope.removable or scope.selector)(user)


def is_append_only(model: type[Model]) -> bool:
    scope = _SCOPES.get(model)
    return bool(scope and scope.append_only)


# --- Wagtail: permission policy ------------------------------------------------------------------------


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """Model permission AND the scope; no writes at all on append-only models (superusers included)."""

    model: type[Model]

    def user_has_permission(self, user: RequestUser, action: str) -> bool:
        if action in WRITE_ACTIONS and is_append_only(self.model):
            return False
        return bool(super().user_has_permission(user, action))

    def user_has_any_permission(self, user: RequestUser, actions: Iterable[str]) -> bool:
        return any(self.user_has_permission(user, a) for a in actions)

    def user_has_permission_for_instance(self, user: RequestUser, action: str, instance: Model) -> bool:
        if not self.user_has_permission(user, action):
            return False
        rows = removable_for(self.model, user) if action == "delete" else scope_for(self.model, user)
        return rows.filter(pk=instance.pk).exists()

    def user_has_any_permission_for_instance(self, user: RequestUser, actions: Iterable[str], instance: Model) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user: RequestUser, actions: Iterable[str]) -> QuerySet[Any]:
        actions = list(actions)
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        if set(actions) == {"delete"}:
            return removable_for(self.model, user)
        return scope_for(self.model, user)

    def instances_user_has_permission_for(self, user: RequestUser, action: str) -> QuerySet[Any]:
        return self.instances_user_has_any_permission_for(user, [action])


# --- Wagtail: choosers -----------------------------------------------------------------------------------


class _ScopedChooseMixin:
    model_class: type[Model]
    request: HttpRequest

    def get_object_list(self) -> QuerySet[Any]:
        return scope_for(self.model_class, self.request.user)


class ScopedChooseView(_ScopedChooseMixin, ChooseView):
    pass


class ScopedChooseResultsView(_ScopedChooseMixin, ChooseResultsView):
    pass


class ScopedChosenView(SnippetChosenView):
    def get_object(self, pk: object) -> Model:
        obj: Model = scope_for(self.model_class, self.request.user).get(pk=unquote(str(pk)))
        return obj


class ScopedChosenMultipleView(SnippetChosenMultipleView):
    def get_objects(self, pks: list[str]) -> QuerySet[Any]:
        return scope_for(self.model_class, self.request.user).filter(pk__in=pks)


class NoChooserCreateView(SnippetCreateView):
    """Creating records from inside a chooser modal would bypass the scoped forms: switched off."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> NoReturn:
        raise Http404


class ScopedChooserViewSet(SnippetChooserViewSet):
    create_view_class = NoChooserCreateView
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


# --- Wagtail: snippet viewsets ---------------------------------------------------------------------------


class ScopedObjectMixin(_ViewBase):
    scope_viewset: ScopedSnippetViewSet | None = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        pk = kwargs.get("pk")
        if pk is not None and self.scope_viewset is not None:
            if not self.scope_viewset.scope(request).filter(pk=unquote(str(pk))).exists():
                object_access_refused.send(sender=type(self), request=request)
                raise Http404
        super().setup(request, *args, **kwargs)


class NoBulkActionsMixin(_IndexViewBase):
    """A listing without the selection checkboxes: the bulk-action bar (delete) never appears."""

    @cached_property
    def columns(self) -> list[Any]:
        return [c for c in super().columns if not isinstance(c, BulkActionsCheckboxColumn)]


class _InstanceDeleteButtonMixin(_ViewBase):
    """Wagtail offers Delete on listings and inspect pages from the model permission alone; on a model whose
    scope names `removable`, the button is asked per instance, so it shows only where the delete is allowed."""

    def get_delete_url(self, instance: Model | None = None) -> str | None:
        target = instance if instance is not None else getattr(self, "object", None)
        if target is not None and not removable_for(type(target), self.request.user).filter(pk=target.pk).exists():
            return None
        parent: Any = super()
        url: str | None = parent.get_delete_url(instance) if instance is not None else parent.get_delete_url()
        return url


_READ_PERMISSION = {"permission_required": "view", "any_permission_required": None}


def _refused(request: HttpRequest, *args: Any, **kwargs: Any) -> NoReturn:
    raise Http404


# Views that write: on an append-only model they are not served at all.
_WRITE_VIEWS = (
    "add_view",
    "edit_view",
    "copy_view",
    "delete_view",
    "revisions_revert_view",
    "revisions_unschedule_view",
    "unpublish_view",
    "lock_view",
    "unlock_view",
    "workflow_action_view",
    "collect_workflow_action_data_view",
    "confirm_workflow_cancellation_view",
    "preview_on_add_view",
    "preview_on_edit_view",
)


class ScopedSnippetViewSet(SnippetViewSet):
    """A snippet viewset whose every view and chooser goes through the model's registered scope."""

    chooser_viewset_class = ScopedChooserViewSet

    def scope(self, request: HttpRequest) -> QuerySet[Any]:
        """Everything this request's user may reach: the model's registered selector."""
        return scope_for(self.model, request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope(request)

    @property
    def append_only(self) -> bool:
        return is_append_only(self.model)

    def construct_view(self, view_class: type[Any], **kwargs: Any) -> Any:
        if not issubclass(view_class, ScopedObjectMixin):
            view_class = type(f"Scoped{view_class.__name__}", (ScopedObjectMixin, view_class), {})
        if self.append_only and issubclass(view_class, IndexView):
            view_class = type(f"ReadOnly{view_class.__name__}", (NoBulkActionsMixin, view_class), {})
        scope = _SCOPES.get(self.model)
        if scope is not None and scope.removable is not None and issubclass(view_class, IndexView | InspectView):
            view_class = type(f"Removable{view_class.__name__}", (_InstanceDeleteButtonMixin, view_class), {})
        if self.append_only and issubclass(view_class, HistoryView | UsageView):
            # Wagtail asks for a write permission to read these; nobody holds one on an append-only model.
            view_class = type(f"ReadOnly{view_class.__name__}", (view_class,), _READ_PERMISSION)
        return super().construct_view(view_class, scope_viewset=self, **kwargs)


def _write_view(name: str) -> property:
    """The write view `name`; on an append-only model a 404 whoever asks. The URLs stay so that Wagtail's
    templates can still name them; the permission policy hides every button that would lead there."""

    def get(self: ScopedSnippetViewSet) -> Any:
        if is_append_only(self.model):
            return _refused
        return getattr(super(ScopedSnippetViewSet, self), name)

    return property(get)


for _name in _WRITE_VIEWS:
    setattr(ScopedSnippetViewSet, _name, _write_view(_name))


class SharedSnippetViewSet(SnippetViewSet):
    """Shared content (no family's data): model permissions decide. Refused on family data at start-up."""


# --- Wagtail: bulk actions ---------------------------------------------------------------------------------


class ScopedBulkActionMixin:
    """Wagtail's bulk actions load objects by the ids in the query string with `model.objects` and name the
    ones the user may not act on. Here ids outside the model's scope are dropped before anything is loaded
    (none left: 404), so no other custodian's record is ever named. Append-only models: always 404."""

    writes = True
    model: type[Model]
    request: HttpRequest

    def _scope(self, model: type[Model]) -> QuerySet[Any]:
        if model in _SCOPES:
            return scope_for(model, self.request.user)
        return model._default_manager.all()

    def get_queryset(self, model: type[Model], object_ids: list[str]) -> list[Model]:
        if self.writes and is_append_only(model):
            raise Http404
        objects = list(self._scope(model).filter(pk__in=object_ids))
        if not objects:
            raise Http404
        return objects

    def get_all_objects_in_listing_query(self, parent_id: object) -> QuerySet[Any]:
        return self._scope(self.model).values_list("pk", flat=True)


class ScopedDeleteBulkAction(ScopedBulkActionMixin, DeleteBulkAction):
    """Replaces Wagtail's unscoped delete for every snippet model (its `models` is every snippet model);
    registered once, with order=100 so that it comes after Wagtail's own."""


# --- /ops/ (Django admin) ------------------------------------------------------------------------------------


class ScopedAdminMixin(_AdminBase):
    """Put before the ModelAdmin base: the queryset behind every /ops/ view is the registered scope, and an
    append-only model is read-only there too (no add, change, delete or bulk delete, superusers included)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = scope_for(self.model, request.user)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return not is_append_only(self.model) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return not is_append_only(self.model) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return not is_append_only(self.model) and super().has_delete_permission(request, obj)
