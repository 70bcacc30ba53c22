"""DRF's rate throttles, keyed by core.clientip's address like every other per-address limit.

DRF's own `get_ident` reads X-Forwarded-For by its NUM_PROXIES setting, unset here, so it took a
client-sent header as the address: a caller could rotate that header and never meet the anonymous limit.
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.request import Request

from core.clientip import client_ip


class ClientIPIdent:
    def get_ident(self, request: Request) -> str:
        return client_ip(request) or ""


class AnonRateThrottle(ClientIPIdent, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIPIdent, throttling.UserRateThrottle):
    """Keyed by the user when signed in (DRF's rule), by the address only for an anonymous caller."""
