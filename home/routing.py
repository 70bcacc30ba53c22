"""The scan URL's route: the live ScanPage resolves it directly, then Wagtail serves it as usual.

Wagtail finds a page by looking up the Site for the host name, then walking the tree from the site's root
(home page, its child "scan", the specific page): four queries and about 40% of a scan GET's CPU
(docs/benchmarks.md). There is one scan page, so this route hands Wagtail the route result it would have
found (its documented per-request cache), and `wagtail.views.serve` runs every serve hook unchanged.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from wagtail.views import serve as wagtail_serve

from .models import ScanPage

# Where `wagtail.views.serve` looks for a route already found for this request (its per-request cache).
ROUTE_CACHE = "_wagtail_route_for_request"


def serve_scan(request: HttpRequest, path: str) -> HttpResponse:
    page = ScanPage.objects.live().first()
    if page is not None:
        try:
            setattr(request, ROUTE_CACHE, page.route(request, [c for c in path.split("/") if c][1:]))
        except Http404:
            setattr(request, ROUTE_CACHE, None)
    return wagtail_serve(request, path)
