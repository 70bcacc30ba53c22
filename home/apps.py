from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Public site"

    def ready(self) -> None:
        from messaging.signals import inbound_message_received

        from . import receivers
        from .setup import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="home.setup")
        inbound_message_received.connect(receivers.on_inbound_message_received, dispatch_uid="home.sms_report")
