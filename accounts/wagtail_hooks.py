from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from keryu_site.scoping_checks import hide_reports_from_non_staff

from . import profile_views

# Wagtail's own reports list every family's objects: staff only (keryu_site.scoping_checks also refuses the URLs).
hooks.register("construct_reports_menu", hide_reports_from_non_staff)


@hooks.register("register_admin_urls")
def register_profile_urls():
    return [
        path("profile/", profile_views.profile, name="keryu_profile"),
        path("profile/phone/", profile_views.phone_change, name="keryu_profile_phone"),
        path("profile/email/", profile_views.email_change, name="keryu_profile_email"),
        path("profile/mfa/", profile_views.mfa_reset, name="keryu_profile_mfa"),
    ]


class CustodianMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return hasattr(request.user, "custodian")


@hooks.register("register_admin_menu_item")
def register_profile_menu_item():
    return CustodianMenuItem("My profile", reverse("keryu_profile"), icon_name="user", order=900)
