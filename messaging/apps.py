from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_channel_rows(sender, **kwargs) -> None:
    from .services import channel_settings_ensure

    channel_settings_ensure()


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Every known channel has a row staff can order in /ops/ (also after a test flush).
        post_migrate.connect(_ensure_channel_rows, sender=self)
