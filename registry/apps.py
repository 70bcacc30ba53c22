from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from core.scoping import scope_register

        from . import signals  # noqa: F401  (photo files leave with their subject)
        from .models import Custodian, EmergencyContact, QRCode, Subject
        from .selectors import (
            contacts_visible_to,
            custodians_visible_to,
            qr_codes_visible_to,
            subjects_removable_by,
            subjects_visible_to,
        )

        # The one scope of each model in both consoles (core.scoping); the check refuses any that skips it.
        scope_register(Custodian, custodians_visible_to)
        # A shared subject is archived or deleted by its first custodian only; the others leave the household.
        scope_register(Subject, subjects_visible_to, removable=subjects_removable_by)
        scope_register(QRCode, qr_codes_visible_to)
        scope_register(EmergencyContact, contacts_visible_to)
