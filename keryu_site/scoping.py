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
