"""Third-party apps under the names staff read in /ops/ (Unfold's app list shows each app's verbose name, and
these apps have none of their own: "Otp_Totp", "Taggit"). Same app, same label: only the name shown changes."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.apps import DefaultConfig as OTPStaticDefaultConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OTPTOTPDefaultConfig
from taggit.apps import TaggitAppConfig


class OTPTOTPConfig(OTPTOTPDefaultConfig):
    verbose_name = _("Authenticator apps (second factor)")


class OTPStaticConfig(OTPStaticDefaultConfig):
    verbose_name = _("Backup codes (second factor)")


class TaggitConfig(TaggitAppConfig):
    verbose_name = _("Tags")


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in lockouts")
