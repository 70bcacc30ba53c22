"""The way in without a camera: a badge's short code, typed on the home page or as /c/<code>/, opens its scan
page. Rate-limited per address like scans (core.ratelimit), tighter: 8 hex digits must not be walkable."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from alerts.services.reports import inactive_scan_record
from core.clientip import client_ip
from core.ratelimit import rate_hit
from registry.selectors import qr_code_get_by_short_code


class ShortCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Enter the code on the badge"),
        max_length=20,
        help_text=_("The 8 letters and numbers printed under the QR code, for example 1A2B3C4D."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


def short_code_entry(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The form, or where a typed code leads. A code in the URL is as secret as the scan URL it opens: no referrer."""
    response = _short_code_answer(request, code)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _short_code_answer(request: HttpRequest, code: str | None) -> HttpResponse:
    raw = code if code is not None else request.GET.get("code", "")
    form = ShortCodeForm({"code": raw} if raw else None)
    if not raw:
        return TemplateResponse(request, "home/short_code.html", {"form": form})
    verdict = rate_hit(key=f"short-code-ip:{client_ip(request)}", rate=settings.KERYU_SHORT_CODE_RATE_PER_IP)
    if not verdict.allowed:
        response = TemplateResponse(
            request,
            "home/short_code.html",
            {"form": ShortCodeForm(), "error": _("Too many codes tried from here. Please wait a few minutes.")},
            status=429,
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response
    qr_code = qr_code_get_by_short_code(short_code=raw) if form.is_valid() else None
    if qr_code is not None and qr_code.is_active and qr_code.subject.is_active:
        return redirect(qr_code.scan_path)
    if qr_code is not None:
        # An inactive badge typed in is an inactive scan: logged and its custodian told, as for the camera.
        inactive_scan_record(
            qr_code=qr_code,
            scanner_ip=client_ip(request),
            scanner_user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    # Unknown and inactive codes read the same, so nobody learns which codes exist.
    error = _("No badge with this code can be reached. Check the code, or call the emergency number if needed.")
    return TemplateResponse(request, "home/short_code.html", {"form": form, "error": error}, status=404)
