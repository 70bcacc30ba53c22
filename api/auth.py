"""Authentication for the API.

- People get short-lived JWTs, and only after their second factor: /api/token/ takes username, password and
  a current TOTP (or backup) code from a confirmed django-otp device. Without a device there is no token:
  enrol in the admin first.
- Machines (a school's system, the Phototaker app) use long-lived tokens that staff issue in /ops/ (DRF
  authtoken) for a dedicated user whose role scopes what the token reaches.
- The admin session works too, but only once OTP-verified, like the consoles themselves.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_otp import match_token, user_has_device
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView


class OTPTokenObtainPairSerializer(TokenObtainPairSerializer):
    otp_token = serializers.CharField(write_only=True, max_length=16, help_text=_("Current TOTP or backup code."))

    def validate(self, attrs):
        data = super().validate(attrs)  # username and password; sets self.user
        if not user_has_device(self.user, confirmed=True):
            raise exceptions.PermissionDenied(_("Enrol a second factor in the admin before using the API."))
        if match_token(self.user, attrs["otp_token"]) is None:
            raise exceptions.AuthenticationFailed(_("The second-factor code is not valid."), code="otp_invalid")
        return data


class OTPTokenObtainPairView(TokenObtainPairView):
    serializer_class = OTPTokenObtainPairSerializer
