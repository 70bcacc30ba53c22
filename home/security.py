"""The scan POST's cross-site check (the scan pages' response headers are core.headers'.)"""

from __future__ import annotations

from django.http import HttpRequest

# Sec-Fetch-Site values of a request another site made the browser send.
CROSS_SITE = frozenset({"cross-site", "same-site"})


def scan_post_is_cross_site(request: HttpRequest) -> bool:
    """The scan route skips Django's CSRF check: its pages send no Referer, so browsers post the form with
    `Origin: null`, which that check refuses. Browsers still send Sec-Fetch-Site, which a page cannot set:
    a post another site's page made a visitor's browser send says `cross-site` and is refused here (so a
    hostile page cannot spread fake reports over its visitors' addresses past the per-IP limit). Clients
    that send no such header (the Phototaker app, old browsers) pass, as the form is anonymous anyway."""
    return request.method == "POST" and request.headers.get("Sec-Fetch-Site", "").lower() in CROSS_SITE
