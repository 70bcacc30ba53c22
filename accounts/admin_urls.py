"""The custodian's profile in the Wagtail admin (registered under /admin/profile/ by wagtail_hooks)."""

from django.urls import path

from . import profile_views

urlpatterns = [
    path("", profile_views.profile, name="keryu_profile"),
    path("phone/", profile_views.phone_change, name="keryu_profile_phone"),
    path("email/", profile_views.email_change, name="keryu_profile_email"),
    path("mfa/", profile_views.mfa_reset, name="keryu_profile_mfa"),
    path("household/<int:pk>/", profile_views.household, name="keryu_household"),
]
