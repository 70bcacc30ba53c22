"""The scan URL's route: the live ScanPage resolves it directly, then Wagtail serves it as usual.

Wagtail finds a page by looking up the Site for the host name, then walking the tree from the site's root
(home page, its child "scan", the specific page): four queries and about 40% of a scan GET's CPU
(docs/benchmarks.md). There is one scan page, so this route hands Wagtail the route result it would have
found (its documented per-request cache), and `wagtail.views.serve` runs every serve hook unchanged.
"""

from __future__ import annotations

import re
import uuid

from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from wagtail.views import serve as wagtail_serve

from .models import ScanPage
from .scan_cache import cacheable, scan_html_get, scan_html_new_generation, scan_html_response

SCAN_PATH = re.compile(r"^scan/([0-9a-f-]{36})/$")


def _plain_scan_code(path: str) -> str | None:
    """The code of a scan form's own URL (not its sent, relay or status pages)."""
    match = SCAN_PATH.match(path)
    if match is None:
        return None
    try:
        return str(uuid.UUID(match.group(1)))
    except ValueError:
        return None


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
    _forget()
    transaction.on_commit(_forget)


def _forget() -> None:
    cache.delete(CACHE_KEY)
    scan_html_new_generation()  # the rendered pages show the page's texts


def serve_scan(request: HttpRequest, path: str) -> HttpResponse:
    code = _plain_scan_code(path)
    if code is not None and cacheable(request):
        # A finder's first GET of a page rendered before (home.scan_cache): the rate limit, then the page.
        from .views import scan_get_limited

        limited = scan_get_limited(request)
        if limited is not None:
            return limited
        content = scan_html_get(code)
        if content is not None:
            return scan_html_response(content)
        request.scan_get_counted = True  # type: ignore[attr-defined]  # the view must not count it twice
    page = scan_page_live()
    if page is not None:
        try:
            setattr(request, ROUTE_CACHE, page.route(request, [c for c in path.split("/") if c][1:]))
        except Http404:
            setattr(request, ROUTE_CACHE, None)
    return wagtail_serve(request, path)
