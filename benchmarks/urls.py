"""The project's URLs plus /bench/trivial/: the ceiling a Django view reaches under the same server."""

import os

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> HttpResponse:
    """Says which gunicorn worker answered, so a run can wait until every worker has booted."""
    return HttpResponse(f"ok {os.getpid()}", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("keryu_site.urls")),
]
