"""Bulk actions on registry snippets, scoped like every other door.

Wagtail's bulk action views look objects up with `model.objects` by the ids in the query string, and list
the ones the user may not act on by name. Here ids outside the user's scope are dropped before anything
is loaded (all of them out of scope: 404), so nothing of another custodian's is ever shown.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from keryu_site import scoping as keryu_scoping

from .models import QRCode


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
