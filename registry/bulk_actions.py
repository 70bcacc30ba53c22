"""Bulk actions on registry snippets, scoped like every other door.

Wagtail's bulk action views look objects up with `model.objects` by the ids in the query string, and list
the ones the user may not act on by name. Here ids outside the user's scope are dropped before anything
is loaded (all of them out of scope: 404), so nothing of another custodian's is ever shown.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from core import scoping as keryu_scoping

from .models import Custodian, QRCode, Subject
from .selectors import deletion_archives
from .services import Removal, custodian_remove, subject_remove

REMOVE = {
    Subject: lambda obj, actor: subject_remove(subject=obj, actor=actor),
    Custodian: lambda obj, actor: custodian_remove(custodian=obj),
}


class ArchivingDeleteBulkAction(keryu_scoping.ScopedDeleteBulkAction):
    """Bulk delete of subjects and custodians: those with alarm history are archived, the rest deleted.

    The confirmation lists which will be archived. Wagtail's reference check would refuse the whole batch
    once one record is protected by its alarms; here that protection is what selects the archive.
    """

    models = [Subject, Custodian]
    template_name = "registry/bulk_confirm_delete_or_archive.html"

    def annotate_items(self, items):
        items = super().annotate_items(items)
        self.is_protected = False
        for item in items:
            item._archives = deletion_archives(item)
        return items

    def object_context(self, item):
        return {**super().object_context(item), "is_protected": False, "archives": item._archives}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["retention_days"] = settings.KERYU_ARCHIVE_RETENTION_DAYS
        context["any_archived"] = any(item["archives"] for item in context["items"])
        return context

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        # Only the objects the permission policy allows reach here (a co-custodian's shared subjects are listed
        # as not theirs to delete); the actor goes on so the service checks again and tells the household.
        view = kwargs.get("self")
        actor = view.request.user if view is not None else user
        outcomes = [REMOVE[type(obj)](obj, actor) for obj in objects]
        archived = sum(1 for outcome in outcomes if outcome is Removal.ARCHIVED)
        return len(objects) - archived, archived

    def get_success_message(self, num_parent_objects, num_child_objects):
        name = self.model._meta.verbose_name_plural
        return f"{num_parent_objects} {name} deleted; {num_child_objects} with alarm history archived."


class PrintBadgesBulkAction(keryu_scoping.ScopedBulkActionMixin, SnippetBulkAction):
    """Selected codes -> one printable badge sheet (the PDF view re-checks the scope)."""

    writes = False

    display_name = "Print badges"
    action_type = "print_badges"
    aria_label = "Print badges for the selected codes"
    template_name = "wagtailsnippets/bulk_actions/confirm_bulk_delete.html"
    action_priority = 10
    models = [QRCode]

    def check_perm(self, obj) -> bool:
        return self.permission_policy.user_has_permission_for_instance(self.request.user, "view", obj)

    def get(self, request, *args, **kwargs):
        objects, _ = self.get_actionable_objects()
        query = urlencode([("id", obj.pk) for obj in objects])
        return redirect(f"{reverse('registry_qr_badges_pdf')}?{query}")
