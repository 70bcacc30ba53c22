"""The client's IP address, read one way everywhere: scan rate limits, sign-in lockout (django-axes, through
AXES_CLIENT_IP_CALLABLE), the password-spraying limit, security events, the audit log and the API throttles.

django-ipware reads it, configured as django-axes configures it (proxy count, header order, left-most order)
from one setting, KERYU_TRUSTED_PROXY_COUNT: how many reverse proxies in front of the web process append the
address they saw to X-Forwarded-For.
- 0 (no proxy, or the PROXY protocol): REMOTE_ADDR only. A client-sent X-Forwarded-For is never read.
- N: the address the first proxy saw, the Nth from the right of X-Forwarded-For (what the client put to
  its left is ignored; entries that are not addresses are skipped). The last proxy's own address is
  REMOTE_ADDR, so ipware counts N - 1 proxies in the header. Without N entries (a request that bypassed the
  proxies), REMOTE_ADDR. Asked header by header: ipware, given both at once, would hold REMOTE_ADDR to the
  proxy count too, and prefer whichever of the two is publicly routable.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as text, or None when the request carries none that parses."""
    proxies = settings.KERYU_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,  # more entries than proxies: the client sent its own header, and that part is ignored
        )
        if forwarded is not None:
            return forwarded
    ip, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    return ip
