"""Wagtail admin screens for alarms (scoped to the custodian's own subjects) and the escalation policy.

Scoping and append-only come from core.scoping and the registrations in alerts.apps: an alarm is
inspected, resolved through its own action, annotated by staff; never added, edited or deleted here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.active_filters import ActiveFilter, BaseFilterAdapter
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import IndexView, InspectView

from core.inspect import YesNoInspectView
from core.roles import user_is_staff
from core.scoping import ScopedSnippetViewSet, SharedSnippetViewSet
from registry.selectors import subjects_visible_to

from .filters import AlarmListFilter
from .models import Alarm, EscalationPolicy, NotificationStatus, ReachabilityCheck
from .selectors import alarm_note_entries, alarm_timeline, attempts_for_alarm

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from registry.models import Subject

# Above this many subjects in scope the subject drop-down gives way to a name search: rendering 17,000
# options (each subject loaded and decrypted) took ~10 s per page for staff (docs/benchmarks.md).
SUBJECT_CHOICES_MAX = 200


def _subjects(request: HttpRequest | None) -> QuerySet[Subject]:
    return subjects_visible_to(request.user) if request else subjects_visible_to(None)


class AlarmFilterSet(WagtailFilterSet, AlarmListFilter):
    """The list's form for alerts.filters.AlarmListFilter: labels and layout only, never which rows match.

    A few subjects in scope (a custodian): pick one from a drop-down. Many (staff): search by name. The
    filter not offered stays in force when the query names it (a shared link) and is shown then, so the list
    always gives the rows its exports and the API give for the same query.
    """

    # The form's order, and labels for the shared filters (alerts.filters leaves them unlabelled for the API).
    ORDER = ["notification_status", "situation_type", "subject", "subject_name", "date_from", "date_to", "resolved"]
    LABELS = {
        "notification_status": _("Status"),
        "situation_type": _("Situation"),
        "subject": _("Subject"),
        "resolved": _("Resolved"),
    }
    filters: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            # These are copies of filters the API's filter set shares; the schema may have built (and cached)
            # their form field unlabelled: build this form's own.
            vars(filter_).pop("_field", None)
        subjects = _subjects(self.request)
        many = subjects.count() > SUBJECT_CHOICES_MAX
        labels = {**self.LABELS, "subject": _("Subject (id)")} if many else self.LABELS
        if not many:
            # django-stubs types the widget's choices as an iterable; Django (5.0+) also takes a callable.
            self.filters["subject"].extra["widget"] = forms.Select(
                choices=lambda: [("", "---------"), *((s.pk, str(s)) for s in subjects)]  # type: ignore[arg-type]
            )
        not_offered = "subject" if many else "subject_name"
        if not (self.data or {}).get(not_offered):
            del self.filters[not_offered]
        rank = {name: i for i, name in enumerate(self.ORDER)}
        self.filters = dict(sorted(self.filters.items(), key=lambda item: rank.get(item[0], len(rank))))
        for name, label in labels.items():
            if name in self.filters:
                self.filters[name].label = label


class ChosenSubjectAdapter(BaseFilterAdapter):
    """The active-filter pill names the chosen subject, not its id (registered in wagtail_hooks)."""

    def get_active_filters(self) -> Iterator[Any]:
        names = {str(value): label for value, label in getattr(self.bound_field.field.widget, "choices", [])}
        yield ActiveFilter(
            self.bound_field.auto_id,
            self.filter.label,
            names.get(str(self.value), str(self.value)),
            self.get_url_without_filter_param(self.name),
        )


class AlarmIndexView(IndexView):
    @property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        query = self.request.GET.urlencode()
        for fmt, label in (("csv", _("Export CSV")), ("xlsx", _("Export Excel")), ("pdf", _("Export PDF"))):
            url = reverse("alerts_export", kwargs={"fmt": fmt}) + (f"?{query}" if query else "")
            buttons.append(Button(label, url=url, icon_name="download"))
        stats = reverse("alerts_statistics") + (f"?{query}" if query else "")
        buttons.append(Button(_("Statistics"), url=stats, icon_name="table"))
        return buttons


class AlarmInspectView(YesNoInspectView, InspectView):
    template_name = "alerts/alarm_inspect.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        # The finder's number is masked from the family unless the finder chose to share it (alerts.services.relay).
        if not user_is_staff(request.user) and not self.object.finder_phone_shared:
            shown: list[str] = self.get_fields()
            self.fields = [name for name in shown if name != "finder_phone"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["attempts"] = attempts_for_alarm(alarm=self.object)
        timeline = alarm_timeline(alarm=self.object) + alarm_note_entries(alarm=self.object)
        context["timeline"] = sorted(timeline, key=lambda entry: entry.at)
        context["can_add_note"] = user_is_staff(self.request.user)
        # Staff taking over an alarm (issue 15): acknowledge for the family, record calling emergency services.
        context["can_take_over"] = context["can_add_note"] and self.object.resolved_at is None
        context["has_failed"] = self.object.attempts.filter(
            status__in=[NotificationStatus.FAILED, NotificationStatus.ERROR, NotificationStatus.UNDELIVERED]
        ).exists()
        return context


class AlarmViewSet(ScopedSnippetViewSet):
    model = Alarm
    icon = "warning"
    menu_label = _("Alarms")
    menu_order = 90
    add_to_admin_menu = True
    list_display = [
        "__str__",
        "situation_type",
        "subject",
        Column("timestamp", label=_("Timestamp"), sort_key="timestamp"),
        "notification_status",
        "acknowledged_at",
        "resolved_at",
    ]
    filterset_class = AlarmFilterSet
    index_view_class = AlarmIndexView
    inspect_view_enabled = True
    inspect_view_class = AlarmInspectView
    inspect_view_fields = [
        "subject",
        "situation_type",
        "timestamp",
        "location",
        "latitude",
        "longitude",
        "description",
        "source",
        "finder_name",
        "finder_phone",
        "report_count",
        "notification_status",
        "notification_attempts",
        "last_attempt",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledged_role",
        "acknowledgement_note",
        "escalation_round",
        "emergency_called_at",
        "emergency_called_by",
        "resolved_at",
        "resolved_role",
        "resolution_notes",
    ]


class EscalationPolicyViewSet(SharedSnippetViewSet):
    """Staff only (model permissions): custodians hold no permission on it."""

    model = EscalationPolicy
    icon = "cog"
    menu_label = _("Escalation policy")
    menu_order = 91
    add_to_admin_menu = True
    list_display = [
        "situation_type",
        "contacts_at_once",
        "notify_doctor",
        "contact_delay_seconds",
        "ack_timeout_seconds",
        "max_depth",
        "repeat",
    ]
    panels = [
        FieldPanel("situation_type"),
        FieldPanel("notify_contacts"),
        FieldPanel("contacts_at_once"),
        FieldPanel("notify_doctor"),
        FieldPanel("contact_delay_seconds"),
        FieldPanel("ack_timeout_seconds"),
        FieldPanel("max_depth"),
        FieldPanel("repeat"),
        FieldPanel("whatsapp_delivery_timeout_seconds"),
    ]


class ReachabilityCheckViewSet(ScopedSnippetViewSet):
    model = ReachabilityCheck
    icon = "warning"
    menu_label = _("Contact checks")
    menu_order = 92
    add_to_admin_menu = True
    list_display = [
        "recipient_name",
        "recipient_kind",
        "channel",
        "status",
        "flagged",
        Column("reason_text", label=_("reason")),  # stored in English: shown in the reader's language
        "created_at",
    ]
    list_filter = ["flagged", "status", "recipient_kind"]
    inspect_view_enabled = True
