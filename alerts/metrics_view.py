"""GET /metrics: Prometheus text format, for a scraper holding KERYU_METRICS_TOKEN as a bearer token.

No token configured: the endpoint does not exist (404), so a deployment that does not monitor exposes
nothing. A wrong or missing token: 401. The response has request metrics of the web process that answered
(django-prometheus; per process, as gunicorn runs several) and Keryu's own, read from the database on each
scrape (alerts.metrics), which are the same whichever process answers.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from alerts.metrics import KeryuCollector

# Once per process: Python imports this module once (urls.py), and the collector holds no state.
REGISTRY.register(KeryuCollector())


def _authorized(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), settings.KERYU_METRICS_TOKEN.encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.KERYU_METRICS_TOKEN:
        raise Http404
    if not _authorized(request):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
