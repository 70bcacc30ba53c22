from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from messaging.signals import inbound_message_received, message_status_changed, meta_template_changed

        from . import heartbeat, receivers  # noqa: F401  (heartbeat connects the worker_ready signal)

        message_status_changed.connect(receivers.on_message_status_changed, dispatch_uid="alerts.message_status")
        inbound_message_received.connect(receivers.on_inbound_message_received, dispatch_uid="alerts.inbound_answered")
        meta_template_changed.connect(receivers.on_meta_template_changed, dispatch_uid="alerts.meta_template")
        self._register_scopes()
        # The escalation policies are kept in the shared cache (alerts.services.recipients): any write drops them.
        from django.db.models.signals import post_delete, post_save

        from .models import EscalationPolicy
        from .services.recipients import policies_forget

        for signal in (post_save, post_delete):
            signal.connect(policies_forget, sender=EscalationPolicy, dispatch_uid=f"alerts.policies.{id(signal)}")

    @staticmethod
    def _register_scopes() -> None:
        """Each model's one scope in both consoles (core.scoping). Records of what happened are
        append-only: nobody adds, edits or deletes them by hand; staff annotate with notes."""
        from core.scoping import scope_register

        from . import selectors
        from .models import Alarm, AlarmNote, InactiveCodeScan, NotificationAttempt, ReachabilityCheck, ScanEvent

        scope_register(Alarm, selectors.alarms_visible_to, append_only=True)
        scope_register(NotificationAttempt, selectors.attempts_visible_to, append_only=True)
        scope_register(ScanEvent, selectors.scan_events_visible_to, append_only=True)
        scope_register(InactiveCodeScan, selectors.inactive_scans_visible_to, append_only=True)
        scope_register(AlarmNote, selectors.alarm_notes_visible_to, append_only=True)
        scope_register(ReachabilityCheck, selectors.reachability_checks_visible_to)
