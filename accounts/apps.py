from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.apps import setup_after_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        from . import audit, receivers  # noqa: F401  (audit registrations and signal receivers)

        setup_after_migrate(self)
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
