from django.contrib import admin
from django.urls import include, path
from django.views.generic.base import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import ops_admin  # noqa: F401  (Unfold re-registrations of third-party admins)
from .health import health

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("ops/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("health/", health, name="health"),
    path("accounts/", include("accounts.urls")),
    # The spec's scan URL, kept for codes printed with it.
    path(
        "subjects/qr/<uuid:code>/scan/",
        RedirectView.as_view(url="/scan/%(code)s/", permanent=True),
        name="legacy-scan",
    ),
    path("", include(wagtail_urls)),
]
