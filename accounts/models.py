"""Sign-up state, security events, and the sign-up page's editable text.

Which verifications are done is recorded once, on the custodian (registry.Custodian.email_verified_at /
phone_verified_at); a Registration says only when the sign-up started and when it completed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField

from core.encryption import EncryptedPhoneNumberField
from core.fields import optional_link
from registry.models import language_field, preferred_channel_field


@register_setting(icon="user")
class SignupSettings(BaseSiteSetting):
    """Texts of the public sign-up page, kept by editors in the Wagtail admin (Settings)."""

    intro = RichTextField(
        blank=True,
        default="<p>Create your Keryu account to register the people in your care and get their QR badges.</p>",
        verbose_name=_("intro"),
    )
    intro_es = RichTextField(
        _("intro (Spanish)"),
        blank=True,
        default="<p>Crea tu cuenta de Keryu para registrar a las personas a tu cargo y obtener sus credenciales QR.</p>",
    )

    def intro_for_language(self) -> str:
        """The intro in the active language (as home.ScanPage.texts): editors keep one text per language."""
        return self.intro_es if translation.get_language() == "es" else self.intro

    class Meta:
        verbose_name = _("sign-up page")
        verbose_name_plural = _("sign-up pages")


class Registration(models.Model):
    """A custodian's self sign-up: started, and completed once both verifications are done (on the custodian).
    Unfinished ones are purged after 24 h."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registration", verbose_name=_("user")
    )
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return _("Registration #%(pk)s") % {"pk": self.pk}


class EmailToken(models.Model):
    """A single-use email verification link. Only a SHA-256 of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    email = models.EmailField(verbose_name=_("email"))
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("token hash"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("email token")
        verbose_name_plural = _("email tokens")

    def __str__(self) -> str:
        return _("Email token #%(pk)s") % {"pk": self.pk}


class PhoneCode(models.Model):
    """One phone verification code: hashed, counted tries, an expiry. Rows double as the resend log."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("user")
    )
    phone_hash = models.CharField(max_length=64, db_index=True, verbose_name=_("phone hash"))
    code_hash = models.CharField(max_length=128, verbose_name=_("code hash"))
    tries = models.PositiveSmallIntegerField(default=0, verbose_name=_("tries"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("phone code")
        verbose_name_plural = _("phone codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("Phone code #%(pk)s") % {"pk": self.pk}


class PhoneCodeSend(models.Model):
    """One send of a verification (PhoneCode): its own code (hashed), the channel it went on and the message
    that carried it. Every send's code is good until the verification ends (used, expired, out of checks): a
    WhatsApp code that arrives after its SMS fallback still works. At most KERYU_VERIFICATION_CODE_MAX_SENDS per
    verification, as Twilio Verify. `fallback_claimed_at` claims the one SMS fallback a WhatsApp send may get."""

    class Reason(models.TextChoices):
        FIRST = "first", _("First code")
        RESEND = "resend", _("Asked again")
        SMS_ASKED = "sms_asked", _("Asked for SMS")
        FALLBACK = "fallback", _("WhatsApp did not deliver")

    phone_code = models.ForeignKey(
        PhoneCode, on_delete=models.CASCADE, related_name="sends", verbose_name=_("phone code")
    )
    code_hash = models.CharField(max_length=128, verbose_name=_("code hash"))
    channel = models.CharField(max_length=32, blank=True, verbose_name=_("channel"))
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.FIRST, verbose_name=_("reason"))
    message = optional_link("messaging.Message", verbose_name=_("message"))
    fallback_claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("fallback claimed at"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("phone code send")
        verbose_name_plural = _("phone code sends")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return _("Phone code send #%(pk)s") % {"pk": self.pk}


class SecurityEvent(models.Model):
    """What the model audit log cannot see: failed logins, refused object access, MFA resets."""

    class Kind(models.TextChoices):
        LOGIN_FAILED = "login_failed", _("Failed login")
        ACCESS_REFUSED = "access_refused", _("Refused object access")
        MFA_RESET = "mfa_reset", _("MFA devices reset")
        MFA_FAILED = "mfa_failed", _("Wrong second-factor code")

    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    user = optional_link(settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name=None)
    actor = optional_link(settings.AUTH_USER_MODEL, verbose_name=_("actor"))
    username = models.CharField(max_length=150, blank=True, verbose_name=_("username"))
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("ip address"))
    path = models.CharField(max_length=300, blank=True, verbose_name=_("path"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class UserMFA(User):
    """Users as seen by the /ops/ MFA console (device reset)."""

    class Meta:
        proxy = True
        verbose_name = _("user MFA")
        verbose_name_plural = _("users' MFA")


class StaffProfile(models.Model):
    """A Keryu staff member's own reachability: on call or not, and where to reach them. The on-call staff
    are told at once, on their own channels, when an alarm nobody acknowledged is handed to staff
    (alerts.services.staff.staff_alert)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    on_call = models.BooleanField(
        default=False,
        help_text=_("Told at once when an unacknowledged alarm goes to staff."),
        verbose_name=_("on call"),
    )
    phone_number = EncryptedPhoneNumberField(blank=True, verbose_name=_("phone number"))
    preferred_channel = preferred_channel_field()
    language = language_field()
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name_plural = _("staff on-call profiles")
        verbose_name = _("staff on-call profile")

    def __str__(self) -> str:
        return _("Staff profile · %(user)s") % {"user": self.user.get_username()}
