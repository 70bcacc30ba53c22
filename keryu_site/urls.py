from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic.base import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from alerts.health import health, live, ready
from alerts.metrics_view import metrics
from home.routing import serve_scan
from home.short_codes import short_code_entry
from registry import views as registry_views

from . import ops_admin  # noqa: F401  (Unfold re-registrations of third-party admins)

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("ops/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("health/", health, name="health"),
    path("health/live", live, name="health_live"),
    path("health/ready", ready, name="health_ready"),
    path("metrics", metrics, name="metrics"),
    path("webhooks/", include("messaging.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    # The spec's scan URL, kept for codes printed with it.
    path(
        "subjects/qr/<uuid:code>/scan/",
        RedirectView.as_view(url="/scan/%(code)s/", permanent=True),
        name="legacy-scan",
    ),
    # The scan form is anonymous (no session to ride) and its pages send no Referer (the code in the URL
    # is a secret), so browsers post it with `Origin: null`, which Django's CSRF check cannot verify.
    # The Wagtail page still serves it (home.routing hands Wagtail the scan page's route); only this route
    # skips the CSRF middleware. A post another site made a browser send is refused by its Sec-Fetch-Site
    # (home.security.scan_post_is_cross_site); abuse is handled by rate limits and the cooldown.
    # The finder's message to the family (.../sent/<token>/relay/) is posted from the same Referer-less pages;
    # it is anonymous too, and the signed token in its URL is the key only the finder's browser holds.
    # security/semgrep/csrf-exempt.yml allows exactly this line.
    re_path(r"^(scan/[0-9a-f-]{36}/(?:sent/[\w-]+/relay/)?)$", csrf_exempt(serve_scan), name="scan_serve"),
    # A subject's photo for the finder: only through an active code, only if the custodian shared it.
    path("scan-photo/<uuid:code>/", registry_views.public_subject_photo, name="registry_public_photo"),
    # A badge's short code, typed on the home page (?code=) or as the address printed on the badge.
    path("c/", short_code_entry, name="short_code"),
    path("c/<str:code>/", short_code_entry, name="short_code_direct"),
    path("alerts/", include("alerts.urls")),
    path("", include(wagtail_urls)),
]
