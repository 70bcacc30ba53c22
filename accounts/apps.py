from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        from . import audit, receivers  # noqa: F401  (audit registrations and signal receivers)
        from .setup import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="accounts.setup")
