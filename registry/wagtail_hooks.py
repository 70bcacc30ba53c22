from django.urls import include, path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from core.scoping import ScopedDeleteBulkAction

from .bulk_actions import ArchivingDeleteBulkAction, PrintBadgesBulkAction
from .dashboard import registry_homepage_panels
from .viewsets import RegistryViewSetGroup

register_snippet(RegistryViewSetGroup)


@hooks.register("register_admin_urls")
def registry_admin_urls():
    return [path("registry/", include("registry.admin_urls"))]


# order=100: after wagtail.snippets' own registration, so the scoped delete replaces it for every snippet.
hooks.register("register_bulk_action", ScopedDeleteBulkAction, order=100)
hooks.register("register_bulk_action", ArchivingDeleteBulkAction, order=100)
hooks.register("register_bulk_action", PrintBadgesBulkAction, order=100)
hooks.register("construct_homepage_panels", registry_homepage_panels)
