"""The scan URL's route: the live ScanPage resolves it directly, then Wagtail serves it as usual.

Wagtail finds a page by looking up the Site for the host name, then walking the tree from the site's root
(home page, its child "scan", the specific page): four queries and about 40% of a scan GET's CPU
(docs/benchmarks.md). There is one scan page, so this route hands Wagtail the route result it would have
found (its documented per-request cache), and `wagtail.views.serve` runs every serve hook unchanged.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from wagtail.views import serve as wagtail_serve

from .models import ScanPage

# Where `wagtail.views.serve` looks for a route already found for this request (its per-request cache).
ROUTE_CACHE = "_wagtail_route_for_request"


# The live ScanPage and the view restrictions on it and its ancestors, kept in the shared cache: a scan GET
# then reads no page row and no restriction (3 queries and ~4 ms of a GET before). Any write to a page, a view
# restriction or a site forgets it (home.apps connects scan_page_forget), in every process at once.
CACHE_KEY = "keryu:scan-page:v1"
CACHE_SECONDS = 24 * 3600


def scan_page_live() -> ScanPage | None:
    """The live scan page, with its view restrictions attached (ScanPage.get_view_restrictions reads them)."""
    entry = cache.get(CACHE_KEY)
    if entry is None:
        page = ScanPage.objects.live().first()
        restrictions = list(page.get_view_restrictions()) if page is not None else []
        entry = (page, restrictions)
        cache.set(CACHE_KEY, entry, CACHE_SECONDS)
    page, restrictions = entry
    if page is not None:
        page.cached_view_restrictions = restrictions
    return page


def scan_page_forget(**kwargs: object) -> None:
    """Drop the cached page now and again when the transaction that changed it commits (a scan in between
    may have cached the old state)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def serve_scan(request: HttpRequest, path: str) -> HttpResponse:
    page = scan_page_live()
    if page is not None:
        try:
            setattr(request, ROUTE_CACHE, page.route(request, [c for c in path.split("/") if c][1:]))
        except Http404:
            setattr(request, ROUTE_CACHE, None)
    return wagtail_serve(request, path)
