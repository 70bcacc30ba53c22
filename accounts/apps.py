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
        self._name_the_second_factor_devices()

    @staticmethod
    def _name_the_second_factor_devices() -> None:
        """django-otp names its devices in plain English ("TOTP device", "static device"), which /ops/ shows to
        staff in every language. Named here in the reader's language; only the display names change
        (`_meta.original_attrs` stays the package's, so its migrations see no difference)."""
        from django.utils.translation import gettext_lazy as _
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for model, one, many in (
            (TOTPDevice, _("authenticator app"), _("authenticator apps")),
            (StaticDevice, _("backup code set"), _("backup code sets")),
        ):
            model._meta.verbose_name = one
            model._meta.verbose_name_plural = many
