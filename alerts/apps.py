from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from messaging.signals import inbound_message_received, message_status_changed

        from . import receivers
        from .services.recipients import extra_channels_register

        message_status_changed.connect(receivers.on_message_status_changed, dispatch_uid="alerts.message_status")
        inbound_message_received.connect(receivers.on_inbound_message_received, dispatch_uid="alerts.inbound")
        extra_channels_register()
