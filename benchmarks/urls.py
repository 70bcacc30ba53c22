"""The project's URLs plus /bench/trivial/: the ceiling a Django view reaches under the same server."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("keryu_site.urls")),
]
