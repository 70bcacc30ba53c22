from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core.roles import user_keeps_wagtail_admin
from core.scoping_checks import hide_reports_from_non_staff
from registry.selectors import deletion_archives

from .services import account_remove

# Wagtail's own reports list every family's objects: staff only (core.scoping_checks also refuses the URLs).
hooks.register("construct_reports_menu", hide_reports_from_non_staff)


@hooks.register("register_admin_urls")
def register_profile_urls():
    return [path("profile/", include("accounts.admin_urls"))]


class CustodianMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return hasattr(request.user, "custodian")


@hooks.register("register_admin_menu_item")
def register_profile_menu_item():
    return CustodianMenuItem(_("My profile"), reverse("keryu_profile"), icon_name="user", order=900)


# What a custodian never needs in Keryu's console: Wagtail's page explorer, its help menu (editor guide, release
# notes), the media libraries, reports and settings. Staff and content editors keep the full admin.
CUSTODIAN_HIDDEN_MENU_ITEMS = frozenset({"explorer", "help", "images", "documents", "reports", "settings"})


@hooks.register("construct_main_menu")
def keep_custodians_menu_to_keryu(request, menu_items: list) -> None:
    if not user_keeps_wagtail_admin(request.user):
        menu_items[:] = [item for item in menu_items if item.name not in CUSTODIAN_HIDDEN_MENU_ITEMS]


@hooks.register("construct_homepage_summary_items")
def no_site_summary_for_custodians(request, summary_items: list) -> None:
    """Wagtail's page/image/document counts mean nothing to a custodian."""
    if not user_keeps_wagtail_admin(request.user):
        summary_items.clear()


@hooks.register("before_delete_user")
def archive_instead_of_deleting_history(request, user):
    """Wagtail's user delete would fail on the alarms that protect the user's subjects: archive instead.

    Confirmation first (it says what archiving means), then accounts.services.account_remove.
    """
    if not deletion_archives(user):
        return None
    if request.method == "POST":
        account_remove(user=user, actor=request.user)
        messages.success(
            request,
            _("‘%(name)s’ has alarm history: the account was archived, not deleted.") % {"name": user.get_username()},
        )
        return redirect("wagtailusers_users:index")
    return TemplateResponse(
        request,
        "accounts/user_archive_confirm.html",
        {"archived_user": user, "retention_days": settings.KERYU_ARCHIVE_RETENTION_DAYS},
    )
