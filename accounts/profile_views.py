"""The custodian's profile inside the Wagtail admin (so it sits behind the password and the second factor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.clientip import client_ip
from registry.models import Custodian, CustodianRole
from registry.selectors import custodianship_of, subject_custodianships, subjects_visible_to
from registry.services import custodianship_leave

from . import services
from .forms import CodeForm, EmailChangeForm, InvitationForm, PasswordConfirmForm, PhoneChangeForm, ProfileForm
from .selectors import activity_field_labels, activity_for

if TYPE_CHECKING:
    from core.roles import AuthenticatedRequest

# (Every view here is served under the Wagtail admin, which signs the user in first.)
NEW_PHONE = "accounts_new_phone"


def _custodian(request: AuthenticatedRequest) -> Custodian:
    custodian = Custodian.objects.filter(user=request.user).select_related("user").first()
    if custodian is None:
        raise PermissionDenied
    return custodian


@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    custodian = _custodian(request)
    form = ProfileForm(request.POST or None, instance=custodian)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        services.custodian_profile_update(custodian=custodian, **data)
        messages.success(request, _("Your profile was saved."))
        return redirect("keryu_profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "custodian": custodian,
            "activity": [(entry, activity_field_labels(entry)) for entry in activity_for(request.user)[:50]],
            "page_title": "My profile",
            "header_icon": "user",
        },
    )


@require_http_methods(["GET", "POST"])
def phone_change(request: AuthenticatedRequest) -> HttpResponse:
    """Password again, then a code to the new number; the number changes only once the code is right."""
    custodian = _custodian(request)
    pending = request.session.get(NEW_PHONE)
    if request.method == "POST" and "code" in request.POST and pending:
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                services.phone_code_verify(user=request.user, e164=pending, code=code_form.cleaned_data["code"])
            except ValidationError as exc:
                code_form.add_error("code", exc.messages[0])
            else:
                services.custodian_phone_change(user=request.user, e164=pending)
                request.session.pop(NEW_PHONE, None)
                messages.success(request, _("Your phone number was changed."))
                return redirect("keryu_profile")
        return render(
            request,
            "accounts/profile_phone.html",
            {"page_title": "Change phone", "code_form": code_form, "pending": True},
        )
    form = PhoneChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.phone_code_send(user=request.user, e164=form.cleaned_data["phone"])
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            request.session[NEW_PHONE] = form.cleaned_data["phone"]
            return render(
                request,
                "accounts/profile_phone.html",
                {"page_title": "Change phone", "code_form": CodeForm(), "pending": True},
            )
    return render(
        request, "accounts/profile_phone.html", {"page_title": "Change phone", "form": form, "custodian": custodian}
    )


@require_http_methods(["GET", "POST"])
def email_change(request: AuthenticatedRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_email_change(user=request.user, email=form.cleaned_data["email"])
        except ValidationError as exc:
            form.add_error("email", exc.messages[0])
        else:
            messages.success(request, _("Check your new inbox: we sent a link to verify the address."))
            return redirect("keryu_profile")
    return render(request, "accounts/profile_email.html", {"page_title": "Change email", "form": form})


@require_http_methods(["GET", "POST"])
def mfa_reset(request: AuthenticatedRequest) -> HttpResponse:
    """Remove your own devices (password again), then enrol a new one at once."""
    form = PasswordConfirmForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.mfa_devices_reset(user=request.user, actor=request.user, ip_address=client_ip(request))
        return redirect("accounts:mfa_enrol")
    return render(request, "accounts/profile_mfa.html", {"page_title": "Second factor", "form": form})


@require_http_methods(["GET", "POST"])
def household(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A subject's custodians: the first custodian invites others; anyone but the last one can leave."""
    subject = get_object_or_404(subjects_visible_to(request.user), pk=pk)
    own = custodianship_of(subject=subject, user=request.user)
    if own is None:  # staff reach every subject but belong to no household
        raise PermissionDenied
    ships = list(subject_custodianships(subject))
    first = own.role == CustodianRole.OWNER
    invite_form = InvitationForm(
        request.POST if "invite" in request.POST else None, initial={"language": own.custodian.language}
    )
    if request.method == "POST" and "leave" in request.POST:
        try:
            custodianship_leave(subject=subject, custodian=own.custodian)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("keryu_household", pk=subject.pk)
        messages.success(request, _("You no longer care for %(name)s.") % {"name": subject.name})
        return redirect("wagtailadmin_home")
    if request.method == "POST" and first and invite_form.is_valid():
        try:
            services.household_invite(
                subject=subject,
                inviter=own.custodian,
                email=invite_form.cleaned_data["email"],
                language=invite_form.cleaned_data["language"],
            )
        except ValidationError as exc:
            invite_form.add_error("email", exc.messages[0])
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("keryu_household", pk=subject.pk)
    return render(
        request,
        "accounts/household.html",
        {
            "custodianships": ships,
            "invite_form": invite_form if first else None,
            "can_leave": len(ships) > 1,
            "subject_name": subject.first_name,
            "page_title": _("Custodians of %(name)s") % {"name": subject.name},
            "header_icon": "group",
        },
    )
