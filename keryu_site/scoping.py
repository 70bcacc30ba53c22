"""Object-level scoping for Wagtail snippet viewsets.

Wagtail scopes only the listing through `SnippetViewSet.get_queryset`; its edit, delete, inspect, history,
usage, revision and lock views look objects up by primary key and check model-level permission alone. Every
view a `ScopedSnippetViewSet` builds is given a guard that refuses, with a 404 (Wagtail turns a 403 into
a redirect), any primary key outside the viewset's `scope(request)` queryset, before the view does anything.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.dispatch import Signal
from django.http import Http404
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views.snippets import SnippetViewSet

# Sent (with `request`) whenever a guard refuses an object; the accounts app records it as a security event.
object_access_refused = Signal()


class ScopedObjectMixin:
    scope_viewset: ScopedSnippetViewSet | None = None

    def setup(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is not None and self.scope_viewset is not None:
            if not self.scope_viewset.scope(request).filter(pk=unquote(str(pk))).exists():
                object_access_refused.send(sender=type(self), request=request)
                raise Http404
        super().setup(request, *args, **kwargs)


class ScopedSnippetViewSet(SnippetViewSet):
    def scope(self, request) -> QuerySet:
        """Everything this request's user may reach. Subclasses call their app's selector."""
        raise NotImplementedError

    def get_queryset(self, request) -> QuerySet:
        return self.scope(request)

    def construct_view(self, view_class, **kwargs):
        if not issubclass(view_class, ScopedObjectMixin):
            view_class = type(f"Scoped{view_class.__name__}", (ScopedObjectMixin, view_class), {})
        return super().construct_view(view_class, scope_viewset=self, **kwargs)


class ScopedBulkActionMixin:
    """Wagtail's bulk actions load objects by the ids in the query string with `model.objects` and name the
    ones the user may not act on. Here ids outside the model's viewset scope are dropped before anything is
    loaded (none left: 404), so no other custodian's record is ever named."""

    def _scope(self, model) -> QuerySet:
        viewset = getattr(model, "snippet_viewset", None)
        if isinstance(viewset, ScopedSnippetViewSet):
            return viewset.scope(self.request)
        return model._default_manager.all()

    def get_queryset(self, model, object_ids):
        objects = list(self._scope(model).filter(pk__in=object_ids))
        if not objects:
            raise Http404
        return objects

    def get_all_objects_in_listing_query(self, parent_id):
        return self._scope(self.model).values_list("pk", flat=True)


class ScopedDeleteBulkAction(ScopedBulkActionMixin, DeleteBulkAction):
    """Subclass with `models = [...]` and register with `order=100` to replace Wagtail's unscoped delete."""

    models: list = []
