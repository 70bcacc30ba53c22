"""The scan page's logic; the Wagtail page routes here and stays thin."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from alerts.services import alarm_create
from registry.selectors import qr_code_get_for_scan, subject_public_profile

from .forms import ScanForm


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def scan(request: HttpRequest, *, page, code) -> HttpResponse:
    qr_code = qr_code_get_for_scan(code=code)
    if qr_code is None:
        # Unknown and inactive codes look the same, so nobody can probe which codes exist.
        return TemplateResponse(request, "home/scan_unavailable.html", {"page": page}, status=404)
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        alarm_create(
            qr_code=qr_code,
            scanner_ip=client_ip(request),
            scanner_user_agent=request.META.get("HTTP_USER_AGENT", ""),
            **form.cleaned_data,
        )
        return redirect(page.url + page.reverse_subpage("thanks", kwargs={"code": code}))
    profile = subject_public_profile(qr_code.subject)
    context = {
        "page": page,
        "form": form,
        "subject_first_name": profile["first_name"],
        "profile": profile,
        "code": code,
    }
    return TemplateResponse(request, "home/scan_page.html", context, status=400 if form.errors else 200)
