"""Idempotent set-up that must exist in every database: the page tree, the site and the role groups.

Run on `post_migrate` (so a fresh database, and a test database flushed between transactional tests,
always has them) and by `seed_demo`. Never overwrites what editors or staff changed.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.db import transaction

from alerts.periodic import periodic_tasks_ensure
from alerts.services import policies_ensure
from core.roles import CUSTODIANS, EDITORS, STAFF
from messaging.services import template_defaults_ensure

# codename lists per group; "access_admin" lets a user into the Wagtail admin at all.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    CUSTODIANS: [
        ("wagtailadmin", "access_admin"),
        *[("registry", f"{a}_{m}") for m in ("subject", "qrcode") for a in ("add", "change", "delete", "view")],
        # Emergency contacts are edited inline on the subject; the permissions say so explicitly (issue 3).
        *[("registry", f"{a}_emergencycontact") for a in ("add", "change", "delete", "view")],
        ("registry", "view_custodian"),
        ("registry", "change_custodian"),
        ("alerts", "view_alarm"),
        ("alerts", "change_alarm"),
        ("alerts", "view_reachabilitycheck"),
        ("messaging", "view_message"),
        ("messaging", "view_inboundmessage"),
    ],
    EDITORS: [
        ("wagtailadmin", "access_admin"),
        *[("messaging", f"{a}_messagetemplate") for a in ("add", "change", "delete", "view")],
        ("messaging", "publish_messagetemplate"),  # publishing is the approval step (draft state)
        ("accounts", "change_signupsettings"),
    ],
    STAFF: [("wagtailadmin", "access_admin")],
}


# Staff also hold every permission of these apps (the /ops/ console's models included).
STAFF_APPS: tuple[str, ...] = ("registry", "alerts", "messaging", "django_celery_beat", "otp_totp", "otp_static")
STAFF_APPS += ("accounts", "auditlog", "axes")  # accounts issue: MFA resets, audit log, lockouts


def groups_ensure(using: str = "default") -> None:
    for label in ("wagtailadmin", "auth", *STAFF_APPS):
        config = apps.get_app_config(label)
        create_contenttypes(config, verbosity=0, using=using)
        create_permissions(config, verbosity=0, using=using)
    # Wagtail adds "publish" for draft-state snippets on its own post_migrate, which runs after ours.
    from wagtail.snippets.models import create_extra_permissions

    create_extra_permissions(apps.get_app_config("messaging"), using=using)
    for name, perms in ROLE_PERMISSIONS.items():
        group, created = Group.objects.using(using).get_or_create(name=name)
        if not created:
            continue  # staff may have tuned it in /ops/
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            )
        if name == STAFF:
            group.permissions.add(*Permission.objects.using(using).filter(content_type__app_label__in=STAFF_APPS))
            group.permissions.add(
                *Permission.objects.using(using).filter(content_type__app_label="auth", content_type__model="user")
            )


def pages_ensure() -> None:
    from wagtail.models import Locale, Page, Site

    from .models import HomePage, ScanPage

    with transaction.atomic():
        locale, _ = Locale.objects.get_or_create(language_code="en")
        root = Page.get_first_root_node()
        if root is None:
            root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
        home = HomePage.objects.first()
        if home is None:
            # Wagtail's own placeholder welcome page is replaced by ours.
            Page.objects.filter(depth=2, content_type__app_label="wagtailcore", slug="home").delete()
            root.refresh_from_db()
            home = root.add_child(instance=HomePage(title="Keryu", slug="home", locale=locale))
        if not ScanPage.objects.exists():
            home.add_child(instance=ScanPage(title="Scan", slug="scan", locale=locale))
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Keryu")
        elif site.root_page_id != home.pk:
            site.root_page = home
            site.save()


def on_post_migrate(sender, using: str = "default", **kwargs) -> None:
    if sender.label != "home":
        return
    groups_ensure(using=using)
    pages_ensure()
    page_permissions_ensure(using=using)
    template_defaults_ensure()
    alerts_defaults_ensure()


PAGE_PERMISSIONS = {
    EDITORS: ("change_page", "publish_page"),
    STAFF: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
}


def page_permissions_ensure(using: str = "default") -> None:
    """Editors keep the public pages' texts (the scan page's intro, instructions and emergency number); staff
    manage pages too. Granted on the site's home page (and so on the scan page below it), once: a group that
    already holds any page permission was set up, possibly tuned by staff, and is left alone."""
    from wagtail.models import GroupPagePermission

    from .models import HomePage

    create_permissions(apps.get_app_config("wagtailcore"), verbosity=0, using=using)
    home = HomePage.objects.using(using).first()
    if home is None:
        return
    for name, codenames in PAGE_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=name).first()
        if group is None or GroupPagePermission.objects.using(using).filter(group=group).exists():
            continue
        for codename in codenames:
            permission = Permission.objects.using(using).get(content_type__app_label="wagtailcore", codename=codename)
            GroupPagePermission.objects.using(using).create(group=group, page=home, permission=permission)


def alerts_defaults_ensure() -> None:
    """alerts' periodic tasks and escalation policies (created once, never overwriting staff edits)."""
    periodic_tasks_ensure()
    policies_ensure()
