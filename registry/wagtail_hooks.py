from django.urls import path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from core.scoping import ScopedDeleteBulkAction

from . import views
from .bulk_actions import ArchivingDeleteBulkAction, PrintBadgesBulkAction
from .dashboard import registry_homepage_panels
from .viewsets import RegistryViewSetGroup

register_snippet(RegistryViewSetGroup)


@hooks.register("register_admin_urls")
def registry_admin_urls():
    return [
        path("registry/photos/<str:name>/", views.subject_photo, name="registry_subject_photo"),
        path("registry/qr/<int:pk>/png/", views.qr_code_png, name="registry_qr_png"),
        path("registry/qr/<int:pk>/svg/", views.qr_code_svg, name="registry_qr_svg"),
        path("registry/qr/<int:pk>/badge.pdf", views.qr_code_badge_pdf, name="registry_qr_badge_pdf"),
        path("registry/qr/badges.pdf", views.qr_code_badges_pdf, name="registry_qr_badges_pdf"),
        path("registry/qr/<int:pk>/toggle/", views.qr_code_toggle, name="registry_qr_toggle"),
        path(
            "registry/subjects/<int:pk>/generate-code/",
            views.subject_code_generate,
            name="registry_subject_code_generate",
        ),
    ]


# order=100: after wagtail.snippets' own registration, so the scoped delete replaces it for every snippet.
hooks.register("register_bulk_action", ScopedDeleteBulkAction, order=100)
hooks.register("register_bulk_action", ArchivingDeleteBulkAction, order=100)
hooks.register("register_bulk_action", PrintBadgesBulkAction, order=100)
hooks.register("construct_homepage_panels", registry_homepage_panels)
