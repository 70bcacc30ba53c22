"""Response hardening for the public scan pages.

The code in a scan URL is a secret: no referrer ever leaves the page, nothing is cached, and the page
loads nothing but its own CSS and script.
"""

from __future__ import annotations

from django.http import HttpResponse

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
