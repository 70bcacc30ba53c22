"""Admin downloads and one-click actions. Every object is looked up through the user's scope: 404 otherwise."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .badges import badge_sheet_pdf, qr_png, qr_svg
from .selectors import qr_codes_visible_to, subject_photo_get_public, subjects_visible_to
from .services import qr_code_activate, qr_code_create, qr_code_deactivate

PRIVATE = "private, no-store"


def _file(content: bytes, content_type: str, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = PRIVATE
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def photo_response(subject) -> FileResponse:
    """The subject's photo, decrypted, never cached: for views that already decided the requester may see it."""
    handle = subject.photo.storage.open(subject.photo.name, "rb")
    content_type = mimetypes.guess_type(subject.photo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = PRIVATE
    return response


def subject_photo(request: HttpRequest, name: str) -> FileResponse:
    if not name:
        raise Http404
    subject = get_object_or_404(subjects_visible_to(request.user), photo=name)
    return photo_response(subject)


def public_subject_photo(request: HttpRequest, code) -> FileResponse:
    """A finder's view of the photo: only through an active code, only if the custodian shared it."""
    subject = subject_photo_get_public(code=code)
    if subject is None:
        raise Http404
    return photo_response(subject)


def qr_code_png(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_object_or_404(qr_codes_visible_to(request.user), pk=pk)
    return _file(qr_png(code), "image/png", f"keryu-{code.short_code}.png")


def qr_code_svg(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_object_or_404(qr_codes_visible_to(request.user), pk=pk)
    return _file(qr_svg(code), "image/svg+xml", f"keryu-{code.short_code}.svg")


def qr_code_badge_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_object_or_404(qr_codes_visible_to(request.user), pk=pk)
    return _file(badge_sheet_pdf([code]), "application/pdf", f"keryu-badge-{code.short_code}.pdf")


def qr_code_badges_pdf(request: HttpRequest) -> HttpResponse:
    """Badge sheet for many codes (?id=1&id=2). One id outside the scope refuses the whole sheet."""
    try:
        ids = sorted({int(i) for i in request.GET.getlist("id")})
    except ValueError:
        return HttpResponseBadRequest(_("Bad code id."))
    if not ids:
        return HttpResponseBadRequest(_("Select at least one code."))
    codes = list(qr_codes_visible_to(request.user).filter(pk__in=ids).order_by("subject__name", "pk"))
    if len(codes) != len(ids):
        raise Http404
    return _file(badge_sheet_pdf(codes), "application/pdf", "keryu-badges.pdf")


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if target and allowed else ""


@require_POST
def subject_code_generate(request: HttpRequest, pk: int) -> HttpResponse:
    """One click from the subject's page: a new code, active at once if the subject has none active."""
    subject = get_object_or_404(subjects_visible_to(request.user), pk=pk)
    activate = not subject.qr_codes.filter(is_active=True).exists()
    code = qr_code_create(subject=subject, activate=activate)
    messages.success(
        request,
        (_("Code %(code)s created and activated.") if activate else _("Code %(code)s created (inactive)."))
        % {"code": code.short_code},
    )
    return redirect("wagtailsnippets_registry_qrcode:inspect", pk=code.pk)


@require_POST
def qr_code_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_object_or_404(qr_codes_visible_to(request.user), pk=pk)
    if request.POST.get("active") == "1":
        qr_code_activate(qr_code=code)
        messages.success(
            request, _("Code %(code)s is active; the person's other codes are off.") % {"code": code.short_code}
        )
    elif code.is_active and request.POST.get("confirmed") != "1":
        # Switching a code off means a finder scanning it reaches nobody: say so, and ask first.
        return TemplateResponse(
            request, "registry/qr_deactivate_confirm.html", {"code": code, "next": _safe_next(request)}
        )
    else:
        qr_code_deactivate(qr_code=code)
        messages.success(
            request, _("Code %(code)s is off: scanning it no longer raises alarms.") % {"code": code.short_code}
        )
    return _back(request, "wagtailsnippets_registry_qrcode:list")
