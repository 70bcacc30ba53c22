"""Public sign-up and verification views, and the MFA verify/enrol views every console sends users to."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.middleware import is_verified
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.clientip import client_ip
from messaging.channels import Family, channel_family
from registry.services import custodianship_join, household_invitation_read

from . import services
from .forms import CodeForm, SignupForm
from .models import SecurityEvent, SignupSettings

if TYPE_CHECKING:
    from core.roles import AuthenticatedRequest

SIGNUP_USER = "accounts_signup_user"
SIGNUP_PHONE = "accounts_signup_phone"
BACKUP_CODES = "accounts_backup_codes"
BACKUP_CODE_COUNT = 10


def _safe_next(request: HttpRequest, default: str = "/admin/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    invited = request.session.get(INVITATION)
    initial = {}
    if invited:
        try:
            initial["email"] = household_invitation_read(invited).email
        except ValidationError:
            request.session.pop(INVITATION, None)
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.registration_create(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                password=data["password"],
                e164=data["phone"],
                language=data["language"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            request.session.cycle_key()
            request.session[SIGNUP_USER] = user.pk
            request.session[SIGNUP_PHONE] = data["phone"]
            if settings.KERYU_INSTANT_VERIFICATION:
                return redirect("accounts:signup_done")
            return redirect("accounts:signup_phone")
    page = SignupSettings.for_request(request)
    return render(request, "accounts/signup.html", {"form": form, "page": page})


def _pending_user(request: HttpRequest) -> User | None:
    pk = request.session.get(SIGNUP_USER)
    return User.objects.filter(pk=pk).select_related("registration", "custodian").first() if pk else None


@require_http_methods(["GET", "POST"])
def signup_phone(request: HttpRequest) -> HttpResponse:
    """Enter the code sent to the phone given at sign-up. Bound to the session that signed up."""
    user, e164 = _pending_user(request), request.session.get(SIGNUP_PHONE)
    if user is None or not e164:
        messages.error(request, _("Your sign-up session has ended. Sign up again, or sign in if you finished."))
        return redirect("accounts:signup")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if "resend" in request.POST or "sms" in request.POST:
            by_sms = "sms" in request.POST
            try:
                services.phone_code_send(user=user, e164=e164, sms=by_sms)
                messages.success(
                    request, _("We sent you a new code by SMS.") if by_sms else _("We sent you a new code.")
                )
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
            return redirect("accounts:signup_phone")
        if form.is_valid():
            try:
                services.phone_code_verify(user=user, e164=e164, code=form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_error("code", exc.messages[0])
            else:
                services.registration_mark(user=user, phone=True)
                return redirect("accounts:signup_done")
    sent = services.verification_latest_send(user=user, e164=e164)
    family = channel_family(sent.channel) if sent is not None else ""
    context = {"form": form, "phone_tail": e164[-4:], "sent_family": family, "whatsapp": family == Family.WHATSAPP}
    return render(request, "accounts/signup_phone.html", context)


@require_http_methods(["GET", "POST"])
def signup_done(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:signup")
    custodian = user.custodian
    _invitation_accept(request, user)
    if request.method == "POST" and "resend" in request.POST and custodian.email_verified_at is None:
        services.email_token_send(user=user)
        messages.success(request, _("We sent you a new link."))
        return redirect("accounts:signup_done")
    return render(request, "accounts/signup_done.html", {"registration": user.registration, "custodian": custodian})


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that prefetch links must not spend the single use."""
    if request.method == "POST":
        try:
            user = services.email_verify(token=token)
        except ValidationError as exc:
            return render(request, "accounts/verify_email.html", {"error": exc.messages[0]}, status=400)
        return render(request, "accounts/verify_email.html", {"verified": True, "active": user_active(user)})
    return render(request, "accounts/verify_email.html", {})


def user_active(user: User) -> bool:
    return User.objects.filter(pk=user.pk, is_active=True).exists()


def _qr_data_uri(url: str) -> str:
    """The enrolment QR as an image data URI: shown with <img>, so no markup is ever marked safe."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request: AuthenticatedRequest) -> HttpResponse:
    """Add a TOTP device. Only for a user with no confirmed device, or one already verified this session."""
    user = request.user
    if user_has_device(user) and not is_verified(user):
        return redirect(f"{resolve_url('accounts:mfa_verify')}?next={_safe_next(request)}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save()
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            request.session[BACKUP_CODES] = _backup_codes_create(user)
            return redirect(f"{resolve_url('accounts:mfa_backup_codes')}?next={_safe_next(request)}")
        form.add_error("code", _("That code is not right. Check the time on your phone and try the newest code."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/mfa_enrol.html",
        {"form": form, "secret": secret, "qr_src": _qr_data_uri(device.config_url), "next": _safe_next(request)},
    )


def _backup_codes_create(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@login_required
def mfa_backup_codes(request: HttpRequest) -> HttpResponse:
    """Shown once: the codes leave the session as they are displayed."""
    codes = request.session.pop(BACKUP_CODES, None)
    if not codes:
        return HttpResponseRedirect(_safe_next(request))
    return render(request, "accounts/mfa_backup_codes.html", {"codes": codes, "next": _safe_next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user_has_device(user):
        return redirect(f"{resolve_url('accounts:mfa_enrol')}?next={_safe_next(request)}")
    if is_verified(user):
        return HttpResponseRedirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"].strip())
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_safe_next(request))
        services.security_event_record(
            kind=SecurityEvent.Kind.MFA_FAILED, user=user, ip_address=client_ip(request), path=request.path
        )
        form.add_error("code", _("That code is not right, or it was already used."))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _safe_next(request)})


INVITATION = "accounts_household_invitation"


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """A household invitation link. Signed in: accept it. Otherwise: sign in, or sign up with the same
    verification as anyone; the invitation waits in the session and is accepted when the sign-up is done."""
    try:
        invite = household_invitation_read(token)
    except ValidationError as exc:
        return render(request, "accounts/invitation.html", {"error": exc.messages[0]}, status=400)
    custodian = getattr(request.user, "custodian", None) if request.user.is_authenticated else None
    if request.method == "POST":
        if custodian is None:
            request.session[INVITATION] = token
            return redirect("accounts:signup")
        try:
            custodianship_join(token=token, custodian=custodian)
        except ValidationError as exc:
            return render(request, "accounts/invitation.html", {"error": exc.messages[0]}, status=400)
        messages.success(request, _("You now care for %(name)s.") % {"name": invite.subject.name})
        return redirect("wagtailadmin_home")
    request.session[INVITATION] = token
    return render(
        request,
        "accounts/invitation.html",
        {
            "invite": invite,
            "inviter": invite.inviter.user.get_full_name(),
            "subject_name": invite.subject.first_name,
            "custodian": custodian,
            "login_url": f"{resolve_url('wagtailadmin_login')}?next={request.path}",
        },
    )


def _invitation_accept(request: HttpRequest, user: User) -> None:
    """After a sign-up: accept the invitation that brought this person here, if any (and if it was for them)."""
    token = request.session.pop(INVITATION, None)
    if not token:
        return
    try:
        ship = custodianship_join(token=token, custodian=user.custodian)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("You now care for %(name)s.") % {"name": ship.subject.name})
