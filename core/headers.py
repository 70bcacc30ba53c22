"""Security headers for every response a view did not already harden (the scan page sets stricter ones).

Django's own middleware gives nosniff, Referrer-Policy, X-Frame-Options, COOP and (DEBUG off) HSTS. This
adds what it has no setting for: a Content-Security-Policy on every response, `no-store` for anything
dynamic that does not say otherwise (pages here are personal or carry secrets in the URL), and the scan
page's hardening on every URL under the scan prefixes, error pages included, because the code in those
URLs is a secret. Static files are answered by WhiteNoise before this runs and keep their own caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# The code in a scan URL is a secret: no referrer ever leaves the page, nothing is cached, and the page
# loads nothing but its own CSS and script.
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


def _policy(directives: dict[str, str], **changed: str) -> str:
    """The header value of `directives`, with some replaced or added (`changed`: underscores for hyphens)."""
    merged = {**directives, **{name.replace("_", "-"): value for name, value in changed.items()}}
    return "; ".join(f"{name} {value}" for name, value in merged.items())


# Public pages (home, sign-up, verification, acknowledgement, errors): own scripts and styles only. Every other
# policy is this one with a named relaxation, so a tightening here reaches them all.
_PUBLIC = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}
PUBLIC_CSP = _policy(_PUBLIC)
# The two consoles: still no host but our own, but each needs one relaxation it cannot do without.
# Both set inline styles from their scripts and templates; Wagtail's editors preview in a same-origin iframe
# (frame-src), and only the preview views themselves may be framed (frame-ancestors, below).
_CONSOLE = {
    **_PUBLIC,
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "frame-src": "'self'",
}
# Wagtail 8 still renders inline init scripts (date/time widgets, InlinePanel, MultipleChooserPanel, the
# workflow dialog) with no nonce hook; nothing in it evaluates strings.
WAGTAIL_ADMIN_CSP = _policy(_CONSOLE, script_src="'self' 'unsafe-inline'")
# Wagtail's preview views (page and snippet previews, shown in the editor's side panel) declare themselves
# frameable by their own origin (X-Frame-Options: SAMEORIGIN, wagtail.utils.decorators): those alone get
# frame-ancestors 'self'. The preview renders the page or message as its reader sees it, with inline styles.
WAGTAIL_PREVIEW_CSP = _policy(_CONSOLE, script_src="'self' 'unsafe-inline'", frame_ancestors="'self'")
# Unfold's Alpine.js (standard build) evaluates its attribute expressions; no inline <script> is needed.
OPS_CSP = _policy(_CONSOLE, script_src="'self' 'unsafe-eval'")
# The API's Swagger UI (drf-spectacular's split view: its start-up script is a file, not inline) sets inline styles.
API_DOCS_CSP = _policy(_PUBLIC, style_src="'self' 'unsafe-inline'")

API_DOCS_PREFIXES = ("/api/docs/",)
# The code (or token) in these URLs is a secret: no referrer, no cache, the scan page's strict policy.
SCAN_PREFIXES = ("/scan/", "/scan-photo/", "/subjects/qr/")
# Tokens in the URL, pages that are not scan pages: never sent on as a referrer.
TOKEN_PREFIXES = ("/alerts/ack/", "/accounts/verify-email/")


def csp_for(path: str, *, frameable: bool = False) -> str:
    """`frameable`: the view asked to be framed by its own origin (Wagtail's preview views do)."""
    if path.startswith("/admin/"):
        return WAGTAIL_PREVIEW_CSP if frameable else WAGTAIL_ADMIN_CSP
    if path.startswith("/ops/"):
        return OPS_CSP
    if path.startswith(API_DOCS_PREFIXES):
        return API_DOCS_CSP
    return PUBLIC_CSP


class SecurityHeadersMiddleware:
    """Fills in what a view left unset; a view's own stricter headers always win."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(SCAN_PREFIXES):
            return harden_scan_response(response)
        frameable = response.get("X-Frame-Options", "").upper() == "SAMEORIGIN"
        if frameable and path.startswith("/admin/"):
            # A Wagtail preview renders the page through the whole middleware stack again (a dummy request for the
            # page's own URL), so it arrives carrying that public page's policy: no framing, no inline styles.
            # The editor's side panel frames it, and it shows sample data only: the preview's own policy wins.
            response["Content-Security-Policy"] = WAGTAIL_PREVIEW_CSP
        elif "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp_for(path, frameable=frameable)
        if path.startswith(TOKEN_PREFIXES):
            response["Referrer-Policy"] = "no-referrer"
        if "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response
