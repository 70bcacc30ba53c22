"""Django-admin (/ops/) deletes that archive what alarm history refers to, instead of refusing or cascading.

Alarms protect their subject (on_delete=PROTECT), so Django's admin would show a "cannot delete: protected
related objects" page for a subject, custodian or user with alarms. A ModelAdmin with this mixin and two
callables from its app instead lists such a record as "will be archived" on the confirmation page (single
and bulk delete) and archives it on confirmation; records without history are deleted as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    # What the mixin's super() calls reach; at run time it is a plain mixin.
    _AdminBase = ModelAdmin[Any]
else:
    _AdminBase = object

ARCHIVE_NOTE = gettext_lazy(
    "%(obj)s: has alarm history, so it will be archived, not deleted (hidden, its QR codes switched off, "
    "its alarms kept, its personal data erased after the retention period)."
)
_ARCHIVED = "_keryu_archived"  # request attribute: what this request's deletes archived


def _archived(request: HttpRequest) -> list[str]:
    archived: list[str] = getattr(request, _ARCHIVED, [])
    return archived


class ArchivingDeleteAdminMixin(_AdminBase):
    # Set by the app: "would deleting this take history with it?" and "delete or archive it".
    deletion_archives: Callable[[Model], bool]
    remove_object: Callable[[Model], str]

    def get_deleted_objects(
        self, objs: Sequence[Model] | QuerySet[Model], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        objs = list(objs)
        archived = [obj for obj in objs if type(self).deletion_archives(obj)]
        rest = [obj for obj in objs if obj not in archived]
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(rest, request)
        notes = [ARCHIVE_NOTE % {"obj": obj} for obj in archived]
        return [*notes, *deleted], model_count, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        if type(self).remove_object(obj) == "archived":
            setattr(request, _ARCHIVED, [*_archived(request), str(obj)])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
        archived = _archived(request)
        if archived:
            messages.warning(
                request, _("Archived, not deleted (alarm history): %(names)s.") % {"names": ", ".join(archived)}
            )

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: int) -> HttpResponse:
        if _archived(request):
            from django.http import HttpResponseRedirect
            from django.urls import reverse

            opts = self.model._meta
            messages.success(request, _("“%(name)s” has alarm history: archived, not deleted.") % {"name": obj_display})
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        return super().response_delete(request, obj_display, obj_id)
