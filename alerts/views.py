"""Alerts' own pages: the public acknowledgement link and the admin's test, retry, resolve, export and statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.headers import harden_scan_response
from registry.selectors import qr_codes_visible_to, subject_responder_profile
from registry.views import photo_response

from . import exports, services
from .charts import bar_chart
from .forms import relay_text_field
from .models import Alarm, NotificationAttempt, RecipientKind, RelayDirection
from .selectors import alarm_statistics, alarms_filtered, alarms_visible_to, relay_messages_for_alarm
from .services.finder_state import role_name
from .services.notes import NOTE_MAX, alarm_emergency_called, alarm_note_add
from .services.relay import FAMILY_WRITERS, relay_from_family

if TYPE_CHECKING:
    from core.roles import AuthenticatedRequest

# The admin views (all but `acknowledge`) are served under the Wagtail admin, which signs the user in first.


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("A short note for the person who found them (optional)"),
        max_length=services.alarms.NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RelayForm(forms.Form):
    """The family's message to the finder, on the acknowledgement page."""

    text = relay_text_field(
        label=_("Write to the person who found them"),
        help_text=_("Keryu passes it on; your number and email stay private unless you share them below."),
    )
    share_number = forms.BooleanField(label=_("Share my phone number with the finder"), required=False)


def _conversation(alarm: Alarm, attempt: NotificationAttempt) -> list[dict[str, object]]:
    """The alarm's relayed messages as the family reads them: who wrote (their own side by first name and role,
    the finder as "the finder"), never a number but one its owner shared."""
    rows = []
    for relay in relay_messages_for_alarm(alarm=alarm):
        if relay.direction == RelayDirection.TO_FINDER:
            if relay.family_key == attempt.recipient_key:
                who = str(_("You"))
            else:
                who = (
                    f"{relay.sender_name} ({role_name(relay.sender_role)})"
                    if relay.sender_name
                    else role_name(relay.sender_role)
                )
        elif relay.scan_event is not None:
            who = str(
                _("The finder (report at %(time)s)")
                % {"time": timezone.localtime(relay.scan_event.timestamp).strftime("%H:%M")}
            )
        else:
            who = str(_("The finder"))
        rows.append(
            {
                "who": who,
                "text": relay.text,
                "at": relay.created_at,
                "from_finder": relay.direction == RelayDirection.TO_FAMILY,
                "shared": relay.shared_contact,
            }
        )
    return rows


def _ack_target(token: str) -> tuple[Alarm, NotificationAttempt]:
    """The alarm and the attempt a signed acknowledgement token names; 404 for anything else."""
    ids = services.ack_token_read(token)
    if ids is None:
        raise Http404
    alarm = get_object_or_404(Alarm.objects.select_related("subject"), pk=ids[0])
    attempt = NotificationAttempt.objects.filter(pk=ids[1], alarm=alarm).first()
    if attempt is None:
        raise Http404
    return alarm, attempt


@never_cache
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the signed link in every message. Shows the alarm; one click acknowledges. The doctor's link also
    shows the medical essentials the custodian allowed, while the alarm is open (`_responder`)."""
    alarm, attempt = _ack_target(token)
    doctor = attempt.recipient_kind == RecipientKind.DOCTOR
    if doctor and alarm.resolved_at is not None:
        return _responder_closed(request)
    relaying = request.method == "POST" and "relay" in request.POST
    relay_form = RelayForm(request.POST if relaying else None)
    if relaying and relay_form.is_valid():
        try:
            relay_from_family(
                attempt=attempt,
                text=relay_form.cleaned_data["text"],
                share_number=relay_form.cleaned_data["share_number"],
                via="web",
            )
        except ValidationError as exc:
            relay_form.add_error("text", exc)
        else:
            return redirect(request.path + "#conversation")
    form = AcknowledgeForm(None if relaying else (request.POST or None))
    done = False
    if request.method == "POST" and not relaying and form.is_valid():
        services.alarm_acknowledge(alarm_id=alarm.pk, attempt_id=attempt.pk, note=form.cleaned_data["note"], via="link")
        alarm.refresh_from_db()
        done = True
    relay_open = not alarm.is_test and alarm.resolved_at is None and attempt.recipient_kind in FAMILY_WRITERS
    context = {
        "alarm": alarm,
        "form": form,
        "done": done,
        "maps_url": services.delivery.maps_url(alarm),
        "subject_first_name": alarm.subject.first_name,
        "finder_name": alarm.finder_name,
        # Masked unless the finder ticked the box to share it (alerts.services.relay).
        "finder_phone": services.delivery.finder_phone_shown(alarm),
        # Later reports joined to this alarm, newest first: where the subject was seen since.
        "reports": [
            {"report": r, "maps_url": services.delivery.maps_url(r), "phone": services.delivery.finder_phone_shown(r)}
            for r in alarm.scan_events.order_by("-timestamp")[:10]
        ],
        "conversation": _conversation(alarm, attempt),
        "relay_form": relay_form,
        "relay_open": relay_open,
        # Acknowledged: the conversation below is how the family writes to the finder (no second note box).
        "relay_replaces_note": relay_open and alarm.acknowledged_at is not None,
    }
    if doctor:
        return _responder(request, alarm=alarm, context=context, token=token)
    response = TemplateResponse(request, "alerts/acknowledge.html", context)
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to the map site
    response["X-Robots-Tag"] = "noindex"
    return response


def _responder(request: HttpRequest, *, alarm: Alarm, context: dict[str, object], token: str) -> HttpResponse:
    """The doctor's view: the acknowledgement page plus what the custodian lets the doctor see, with the scan
    page's headers (no cache, no referrer, nothing loaded from elsewhere): the link is a key to medical data."""
    profile = subject_responder_profile(alarm.subject)
    context = {
        **context,
        "medical": profile,
        "photo_url": reverse("alerts_responder_photo", kwargs={"token": token}) if profile.get("has_photo") else "",
    }
    return harden_scan_response(TemplateResponse(request, "alerts/responder.html", context))


def _responder_closed(request: HttpRequest) -> HttpResponse:
    """After the alarm: a polite page that shows nothing of the alarm or the person."""
    return harden_scan_response(TemplateResponse(request, "alerts/responder_closed.html", {}))


@never_cache
@require_http_methods(["GET"])
def responder_photo(request: HttpRequest, token: str) -> FileResponse:
    """The subject's photo behind the doctor's link: only a doctor's token, only while the alarm is open, only
    if the custodian allowed it (or shares it with finders). 404 otherwise, whoever asks."""
    alarm, attempt = _ack_target(token)
    if attempt.recipient_kind != RecipientKind.DOCTOR or alarm.resolved_at is not None:
        raise Http404
    if not subject_responder_profile(alarm.subject).get("has_photo"):
        raise Http404
    response = photo_response(alarm.subject)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def test_alarm(request: AuthenticatedRequest, qr_pk: int) -> HttpResponseBase:
    qr_code = get_object_or_404(qr_codes_visible_to(request.user), pk=qr_pk)
    try:
        alarm = services.alarm_test_create(qr_code=qr_code, user=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("wagtailsnippets_registry_qrcode:list")
    messages.success(request, _("Test alarm sent to you. Check your phone or email."))
    return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)


@require_POST
def retry(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    alarm = get_object_or_404(alarms_visible_to(request.user), pk=pk)
    count = services.alarm_retry_failed(alarm=alarm)
    messages.success(
        request,
        ngettext("%(count)d failed notification queued again.", "%(count)d failed notifications queued again.", count)
        % {"count": count},
    )
    return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)


@require_POST
def acknowledge_admin(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The Acknowledge button on the alarm's page: custodians (their own alarms) and staff. Stops the escalation;
    the others messaged are told who is handling it, and the finder's page names the role."""
    alarm = get_object_or_404(alarms_visible_to(request.user), pk=pk)
    form = AcknowledgeForm(request.POST)  # the same note; the alarm's page draws its own box
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    elif alarm.resolved_at is not None:
        messages.error(request, _("This alarm is already closed."))
    elif services.alarm_acknowledge(alarm_id=alarm.pk, note=form.cleaned_data["note"], via="admin", user=request.user):
        messages.success(request, _("Alarm acknowledged. The others messaged are told who is handling it."))
    else:
        messages.info(request, _("Someone had already acknowledged this alarm."))
    return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)


class ResolveForm(forms.Form):
    resolution_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


@require_http_methods(["GET", "POST"])
def resolve(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    alarm = get_object_or_404(alarms_visible_to(request.user), pk=pk)
    form = ResolveForm(request.POST or None, initial={"resolution_notes": alarm.resolution_notes})
    if request.method == "POST" and form.is_valid():
        services.alarm_resolve(alarm=alarm, user=request.user, notes=form.cleaned_data["resolution_notes"])
        messages.success(request, _("Alarm resolved."))
        return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)
    return TemplateResponse(request, "alerts/resolve.html", {"alarm": alarm, "form": form})


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTE_MAX)


@require_POST
def note_add(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """Staff annotate an alarm (its record is append-only); the note shows on the timeline."""
    alarm = get_object_or_404(alarms_visible_to(request.user), pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)
    try:
        alarm_note_add(alarm=alarm, author=request.user, text=form.cleaned_data["text"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Note added."))
    return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)


class TakeOverForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX)


def _take_over(request: AuthenticatedRequest, pk: int, act: Callable[..., bool]) -> tuple[Alarm, bool | None, str]:
    """Run a staff take-over action (`act(alarm=, user=, note=)`) on an alarm staff may see: (alarm, whether it
    was done now, False if done before, None if refused with a message, the note)."""
    alarm = get_object_or_404(alarms_visible_to(request.user), pk=pk)
    form = TakeOverForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        return alarm, act(alarm=alarm, user=request.user, note=note), note
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return alarm, None, note


@require_POST
def staff_acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Staff acknowledge for the family (an alarm nobody answered); the note goes to the finder like any."""
    alarm, done, _note = _take_over(request, pk, services.alarms.alarm_staff_acknowledge)
    if done:
        messages.success(request, _("Acknowledged for the family: the escalation has stopped."))
    elif done is False:
        messages.warning(request, _("This alarm was already acknowledged."))
    return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)


@require_POST
def emergency_called(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Staff record that they called emergency services (with an optional note of what was said)."""
    alarm, done, note = _take_over(request, pk, alarm_emergency_called)
    if done:
        messages.success(request, _("Recorded: emergency services called."))
    elif done is False:
        if note.strip():
            messages.warning(request, _("Calling emergency services was already recorded. Your note was added."))
        else:
            messages.warning(request, _("Calling emergency services was already recorded."))
    return redirect("wagtailsnippets_alerts_alarm:inspect", pk=alarm.pk)


def _filename(ext: str) -> str:
    return f"keryu-alarms-{timezone.localdate():%Y%m%d}.{ext}"


def export(request: AuthenticatedRequest, fmt: str) -> HttpResponseBase:
    alarms = alarms_filtered(request.user, request.GET)
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(exports.csv_stream(alarms), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            exports.xlsx_bytes(alarms),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        response = HttpResponse(exports.pdf_bytes(alarms), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{_filename(fmt)}"'
    return response


def statistics(request: AuthenticatedRequest) -> TemplateResponse:
    alarms = alarms_filtered(request.user, request.GET)
    stats = alarm_statistics(alarms=alarms)
    context = {
        "stats": stats,
        "per_day_chart": bar_chart([(d.strftime("%m-%d"), n) for d, n in stats.per_day]),
        "per_situation_chart": bar_chart(stats.per_situation),
        "per_channel": [(c, n, ok, round(100 * ok / n) if n else 0) for c, n, ok in stats.per_channel],
        "per_channel_chart": bar_chart([(c, round(100 * ok / n) if n else 0) for c, n, ok in stats.per_channel]),
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "alerts/statistics.html", context)
