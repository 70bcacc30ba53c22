"""Fixture for keryu-csrf-exempt (semgrep --test)."""

from django.http import HttpResponse
from django.urls import path, re_path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from wagtail.views import serve as wagtail_serve

from home.routing import serve_scan


# ruleid: keryu-csrf-exempt
@csrf_exempt
def profile_update(request):
    return HttpResponse("ok")


# ruleid: keryu-csrf-exempt
@method_decorator(csrf_exempt, name="dispatch")
class SettingsView(View):
    pass


class OtherView(View):
    # ruleid: keryu-csrf-exempt
    csrf_exempt = True


def not_exempt(request):
    return HttpResponse("ok")


urlpatterns = [
    # ruleid: keryu-csrf-exempt
    path("profile/", csrf_exempt(not_exempt)),
    # The documented scan route (with the finder's relay post), exactly as in keryu_site/urls.py, is allowed:
    # ok: keryu-csrf-exempt
    re_path(r"^(scan/[0-9a-f-]{36}/(?:sent/[\w-]+/relay/)?)$", csrf_exempt(serve_scan), name="scan_serve"),
    # ...but not the route as it was before, nor any other spelling of it:
    # ruleid: keryu-csrf-exempt
    re_path(r"^(scan/[0-9a-f-]{36}/)$", csrf_exempt(serve_scan), name="scan_serve"),
    # ...but not a wider pattern serving every page without CSRF:
    # ruleid: keryu-csrf-exempt
    re_path(r"^((?:[\w\-]+/)*)$", csrf_exempt(wagtail_serve), name="scan_serve"),
    # ...nor another view on the scan path:
    # ruleid: keryu-csrf-exempt
    re_path(r"^(scan/[0-9a-f-]{36}/)$", csrf_exempt(not_exempt), name="scan_serve"),
]
# ruleid: keryu-csrf-exempt
not_exempt.csrf_exempt = True
