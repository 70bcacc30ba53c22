from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app needs and no app owns: roles, scoping, rate limits, the breaker, encryption, headers."""

    name = "core"
    verbose_name = _("Keryu core")

    def ready(self) -> None:
        from .exports import neutralise_wagtail_exports
        from .scoping_checks import register_checks

        register_checks()
        neutralise_wagtail_exports()  # formula cells in Wagtail's CSV/XLSX exports
