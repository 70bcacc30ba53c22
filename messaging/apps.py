from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_channel_rows(sender: AppConfig, **kwargs: Any) -> None:
    from .services import channel_settings_ensure

    channel_settings_ensure()


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # Every known channel has a row staff can order in /ops/ (also after a test flush).
        post_migrate.connect(_ensure_channel_rows, sender=self)
        self._register_scopes()
        # The channel order is kept in the shared cache (messaging.selectors): any write drops it.
        from django.db.models.signals import post_delete, post_save

        from .models import ChannelSetting
        from .selectors import channel_order_forget

        for signal in (post_save, post_delete):
            signal.connect(channel_order_forget, sender=ChannelSetting, dispatch_uid=f"messaging.order.{id(signal)}")

    @staticmethod
    def _register_scopes() -> None:
        """Each model's one scope in both consoles (core.scoping). The message log and the replies are
        append-only: what was sent and received is never added, edited or deleted by hand."""
        from core.scoping import scope_register

        from . import selectors
        from .models import FlaggedAddress, InboundMessage, Message

        scope_register(Message, selectors.messages_visible_to, append_only=True)
        scope_register(InboundMessage, selectors.inbound_visible_to, append_only=True)
        scope_register(FlaggedAddress, selectors.flagged_addresses_visible_to)
