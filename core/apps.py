from importlib import import_module

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def setup_after_migrate(app_config: AppConfig) -> None:
    """Run the app's `setup.on_post_migrate` after every migrate (and test flush): the rows it must have, made
    idempotently (groups, pages, periodic tasks). Called from the app's `ready()`."""
    setup = import_module(f"{app_config.name}.setup")
    post_migrate.connect(setup.on_post_migrate, sender=app_config, dispatch_uid=f"{app_config.name}.setup")


class CoreConfig(AppConfig):
    """What every app needs and no app owns: roles, scoping, rate limits, the breaker, encryption, headers."""

    name = "core"
    verbose_name = _("Keryu core")

    def ready(self) -> None:
        from .exports import neutralise_wagtail_exports
        from .scoping_checks import register_checks

        register_checks()
        neutralise_wagtail_exports()  # formula cells in Wagtail's CSV/XLSX exports
