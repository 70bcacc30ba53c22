from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Public site"

    def ready(self) -> None:
        from .setup import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="home.setup")
