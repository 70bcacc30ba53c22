"""Response hardening for the public scan pages.

The code in a scan URL is a secret: no referrer ever leaves the page, nothing is cached, and the page
loads nothing but its own CSS and script.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

SCAN_CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "script-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def harden_scan_response(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Security-Policy"] = SCAN_CSP
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# Sec-Fetch-Site values of a request another site made the browser send.
CROSS_SITE = frozenset({"cross-site", "same-site"})


def scan_post_is_cross_site(request: HttpRequest) -> bool:
    """The scan route skips Django's CSRF check: its pages send no Referer, so browsers post the form with
    `Origin: null`, which that check refuses. Browsers still send Sec-Fetch-Site, which a page cannot set:
    a post another site's page made a visitor's browser send says `cross-site` and is refused here (so a
    hostile page cannot spread fake reports over its visitors' addresses past the per-IP limit). Clients
    that send no such header (the Phototaker app, old browsers) pass, as the form is anonymous anyway."""
    return request.method == "POST" and request.headers.get("Sec-Fetch-Site", "").lower() in CROSS_SITE
