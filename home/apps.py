from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Public site"

    def ready(self) -> None:
        from messaging.inbound import inbound_handler_set

        from .inbound import inbound_answer
        from .setup import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="home.setup")
        # The one answer to inbound messages (see messaging.inbound for why a registration, not a signal).
        inbound_handler_set(inbound_answer)
