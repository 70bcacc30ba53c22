"""The scan page's logic; the Wagtail page routes here and stays thin."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from alerts.selectors import alarm_recent_exists
from alerts.services import alarm_create
from registry.selectors import qr_code_get_for_scan

from .forms import ScanForm
from .ratelimit import Verdict, rate_hit

PHOTOTAKER_HEADER = "HTTP_X_KERYU_CLIENT"  # the Phototaker app sends "X-Keryu-Client: phototaker"


def client_ip(request: HttpRequest) -> str | None:
    """The finder's IP. Behind N trusted proxies, the Nth address from the right of X-Forwarded-For."""
    hops = settings.KERYU_TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def is_phototaker(request: HttpRequest) -> bool:
    marker = request.META.get(PHOTOTAKER_HEADER, "") or request.GET.get("client", "")
    return marker.lower() == "phototaker"


def _too_many(request: HttpRequest, verdict: Verdict, page) -> HttpResponse:
    response = TemplateResponse(
        request,
        "home/scan_busy.html",
        {"page": page, "retry_after": verdict.retry_after, "message": _("Too many reports from here. Please wait.")},
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _post_limited(request: HttpRequest, qr_code) -> Verdict:
    """Repeat reports are limited per IP and per code; the first report for a code always goes through."""
    if not alarm_recent_exists(qr_code_id=qr_code.pk, seconds=settings.KERYU_SCAN_COOLDOWN_SECONDS):
        return Verdict(True)
    for key, rate in (
        (f"scan-post-ip:{client_ip(request)}", settings.KERYU_SCAN_POST_RATE_PER_IP),
        (f"scan-post-code:{qr_code.pk}", settings.KERYU_SCAN_POST_RATE_PER_CODE),
    ):
        verdict = rate_hit(key=key, rate=rate)
        if not verdict.allowed:
            return verdict
    return Verdict(True)


def scan(request: HttpRequest, *, page, code) -> HttpResponse:
    if request.method == "GET":
        verdict = rate_hit(key=f"scan-get-ip:{client_ip(request)}", rate=settings.KERYU_SCAN_GET_RATE_PER_IP)
        if not verdict.allowed:
            return _too_many(request, verdict, page)
    qr_code = qr_code_get_for_scan(code=code)
    if qr_code is None:
        # Unknown and inactive codes look the same, so nobody can probe which codes exist.
        return TemplateResponse(request, "home/scan_unavailable.html", {"page": page}, status=404)
    phototaker = is_phototaker(request)
    form = ScanForm(request.POST or None)
    if request.method == "POST":
        verdict = _post_limited(request, qr_code)
        if not verdict.allowed:
            return _too_many(request, verdict, page)
        if form.is_valid():
            alarm_create(
                qr_code=qr_code,
                scanner_ip=client_ip(request),
                scanner_user_agent=request.META.get("HTTP_USER_AGENT", ""),
                is_phototaker=phototaker,
                **form.cleaned_data,
            )
            return redirect(page.url + page.reverse_subpage("thanks", kwargs={"code": code}))
    context = {
        "page": page,
        "form": form,
        "subject_first_name": qr_code.subject.first_name,
        "phototaker": phototaker,
    }
    return TemplateResponse(request, "home/scan_page.html", context, status=400 if form.errors else 200)
