"""The scan page's logic; the Wagtail page routes here and stays thin."""

from __future__ import annotations

import base64
import logging

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.forms import relay_text_field
from alerts.models import Alarm, AlarmSource, RelayDirection, ScanEvent
from alerts.selectors import relay_messages_for_report
from alerts.services.connection import CONNECTION_ERRORS, connection_discard
from alerts.services.finder_state import finder_state
from alerts.services.notices import handler_text
from alerts.services.relay import Thread, relay_from_finder
from alerts.services.reports import Report, ReportLimited, inactive_scan_record, report_submit
from core.clientip import client_ip
from core.headers import harden_scan_response
from core.ratelimit import Verdict, rate_hit
from registry.selectors import qr_code_get_for_scan, qr_code_get_inactive, subject_public_profile

from .forms import ScanForm
from .progress import finder_progress
from .scan_cache import cacheable, scan_html_set
from .security import scan_post_is_cross_site

log = logging.getLogger(__name__)
PHOTOTAKER_HEADER = "HTTP_X_KERYU_CLIENT"  # the Phototaker app sends "X-Keryu-Client: phototaker"


def is_phototaker(request: HttpRequest) -> bool:
    marker = request.META.get(PHOTOTAKER_HEADER, "") or request.GET.get("client", "")
    return marker.lower() == "phototaker"


def _too_many(request: HttpRequest, verdict: Verdict, page) -> HttpResponse:
    response = TemplateResponse(
        request,
        "home/scan_busy.html",
        {"page": page, "retry_after": verdict.retry_after, "message": _("Too many reports from here. Please wait.")},
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def scan_get_limited(request: HttpRequest, page=None) -> HttpResponse | None:
    """Count a scan GET against its address's limit: the "busy" page when over it, else None."""
    verdict = rate_hit(key=f"scan-get-ip:{client_ip(request)}", rate=settings.KERYU_SCAN_GET_RATE_PER_IP)
    if verdict.allowed:
        return None
    if page is None:
        from .routing import scan_page_live

        page = scan_page_live()
    return harden_scan_response(_too_many(request, verdict, page))


def _repeat_limits(request: HttpRequest, qr_code) -> list[tuple[str, str]]:
    """Repeat reports are limited per IP and per code. The service applies them only to a report that joins
    the open alarm: never to the first report, nor to a more serious one (an INJURED after a LOST)."""
    return [
        (f"scan-post-ip:{client_ip(request)}", settings.KERYU_SCAN_POST_RATE_PER_IP),
        (f"scan-post-code:{qr_code.pk}", settings.KERYU_SCAN_POST_RATE_PER_CODE),
    ]


def _try_again(request: HttpRequest, page, code) -> HttpResponse:
    """The database was unreachable even after the service's retry: a 503 page, never a 500, in the finder's
    language, with their report still in the form so one tap sends it again, and the emergency number."""
    context = {
        "page": page,
        "form": ScanForm(request.POST),
        "code": code,
        "retention_days": settings.KERYU_SCANNER_DATA_RETENTION_DAYS,
    }
    response = TemplateResponse(request, "home/scan_try_again.html", context, status=503)
    response["Retry-After"] = "5"
    return response


def scan(request: HttpRequest, *, page, code) -> HttpResponse:
    if request.method != "POST":
        return _scan(request, page=page, code=code)
    try:
        return _scan(request, page=page, code=code)
    except CONNECTION_ERRORS as exc:
        log.error("scan report not stored: database unreachable (%s); answered 503", type(exc).__name__)
        connection_discard()
        return _try_again(request, page, code)


def _scan(request: HttpRequest, *, page, code) -> HttpResponse:
    if scan_post_is_cross_site(request):
        return HttpResponseForbidden("Reports are sent from the scan page itself.", content_type="text/plain")
    if request.method == "GET" and not getattr(request, "scan_get_counted", False):
        limited = scan_get_limited(request, page)
        if limited is not None:
            return limited
    qr_code = qr_code_get_for_scan(code=code)
    phototaker = is_phototaker(request)
    source = AlarmSource.PHOTOTAKER if phototaker else AlarmSource.WEB
    if qr_code is None:
        inactive = qr_code_get_inactive(code=code)
        if inactive is not None:
            # The spec's exception scenario: logged, and the custodian is told (at most once an hour).
            inactive_scan_record(
                qr_code=inactive,
                scanner_ip=client_ip(request),
                scanner_user_agent=request.META.get("HTTP_USER_AGENT", ""),
                source=source,
            )
        # Unknown and inactive codes look the same, so nobody can probe which codes exist.
        return TemplateResponse(request, "home/scan_unavailable.html", {"page": page}, status=404)
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = Report(
            **form.cleaned_data,
            scanner_ip=client_ip(request),
            scanner_user_agent=request.META.get("HTTP_USER_AGENT", ""),
            source=source,
        )
        try:
            outcome = report_submit(qr_code=qr_code, report=report, repeat_limits=_repeat_limits(request, qr_code))
        except ReportLimited as limited:
            return _too_many(request, limited.verdict, page)
        event_id = outcome.event.pk if outcome.event is not None else None
        token = progress_token(alarm_id=outcome.alarm.pk, code=code, event_id=event_id)
        return redirect(page.url + page.reverse_subpage("sent", kwargs={"code": code, "token": token}))
    profile = subject_public_profile(qr_code.subject)
    context = {
        "page": page,
        "form": form,
        "subject_first_name": profile["first_name"],
        "profile": profile,
        "code": code,
        "phototaker": phototaker,
        "retention_days": settings.KERYU_SCANNER_DATA_RETENTION_DAYS,
    }
    response = TemplateResponse(request, "home/scan_page.html", context, status=400 if form.errors else 200)
    if response.status_code == 200 and cacheable(request) and not page.get_view_restrictions():
        scan_html_set(code, response.render().content)
    return response


PROGRESS_SALT = "keryu.scan-progress"
PROGRESS_MAX_AGE = 48 * 3600


def progress_token(*, alarm_id: int, code, event_id: int | None = None) -> str:
    """A signed, code-bound reference to the finder's report (the alarm, and the joined report's record when
    theirs joined an open alarm): only the finder's browser holds it."""
    data = {"a": alarm_id, "c": str(code)} | ({"e": event_id} if event_id is not None else {})
    signed = signing.dumps(data, salt=PROGRESS_SALT, compress=True)
    # Wagtail serves path segments of [\w-] only: carry the signed value as unpadded base64url.
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def _token_data(*, code, token: str) -> dict:
    try:
        signed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        data = signing.loads(signed, salt=PROGRESS_SALT, max_age=PROGRESS_MAX_AGE)
    except (signing.BadSignature, ValueError):
        raise Http404 from None
    if data.get("c") != str(code):
        raise Http404
    return data


def _report(data: dict) -> tuple[Alarm, ScanEvent | None]:
    """The alarm and, for a report that joined it, that report's own record."""
    alarm = Alarm.objects.select_related("subject").filter(pk=data["a"]).first() if "a" in data else None
    if alarm is None:
        raise Http404
    event = None
    if "e" in data:
        event = ScanEvent.objects.filter(pk=data["e"], alarm=alarm).first()
        if event is None:
            raise Http404
    elif data.get("j"):
        # A token from before reports were named ("j": joined, up to PROGRESS_MAX_AGE old): the latest report
        # is at least as late as theirs, so they are never shown a note addressed to an earlier finder.
        event = alarm.scan_events.order_by("-timestamp", "-pk").first()
    return alarm, event


class FinderRelayForm(forms.Form):
    """The finder's message to the family, on their progress page."""

    text = relay_text_field(
        label=gettext_lazy("Write to the family"),
        help_text=gettext_lazy("Keryu passes it on; your number stays private."),
    )


def _messages(alarm: Alarm, event: ScanEvent | None, language: str) -> list[dict]:
    """This report's conversation as its finder reads it: the family by first name and role, never a number
    but one its owner shared. Only this report's: a later finder never reads an earlier one's."""
    rows = []
    for relay in relay_messages_for_report(alarm=alarm, scan_event=event):
        mine = relay.direction == RelayDirection.TO_FAMILY
        who = (
            _("You") if mine else handler_text(first_name=relay.sender_name, role=relay.sender_role, language=language)
        )
        shared = _("Their number: %(number)s") % {"number": relay.shared_contact} if relay.shared_contact else ""
        at = timezone.localtime(relay.created_at).strftime("%H:%M")
        rows.append({"who": who, "text": relay.text, "at": at, "mine": mine, "shared": shared})
    return rows


def _progress(page, data: dict, request: HttpRequest) -> dict:
    alarm, event = _report(data)
    state = finder_state(alarm=alarm, scan_event=event)
    progress = finder_progress(state=state, emergency_number=page.emergency_number or "911")
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    progress["messages"] = _messages(alarm, event, language)
    progress["can_write"] = alarm.resolved_at is None and not alarm.is_test
    return progress


def sent(request: HttpRequest, *, page, code, token: str, relay_form: FinderRelayForm | None = None) -> HttpResponse:
    data = _token_data(code=code, token=token)
    context = {
        "page": page,
        "progress": _progress(page, data, request),
        "status_url": request.path + "status/",
        "relay_url": request.path + "relay/",
        "relay_form": relay_form or FinderRelayForm(),
        "joined": "e" in data,
    }
    return TemplateResponse(request, "home/scan_sent.html", context, status=400 if relay_form is not None else 200)


def sent_status(request: HttpRequest, *, page, code, token: str) -> JsonResponse:
    return JsonResponse(_progress(page, _token_data(code=code, token=token), request))


def sent_relay(request: HttpRequest, *, page, code, token: str) -> HttpResponse:
    """The finder writes to the family (POST from their progress page); back to the page, or the page with the
    error (too long, too many, closed)."""
    if request.method != "POST":
        raise Http404
    if scan_post_is_cross_site(request):
        return HttpResponseForbidden("Messages are sent from the progress page itself.", content_type="text/plain")
    data = _token_data(code=code, token=token)
    alarm, event = _report(data)
    form = FinderRelayForm(request.POST)
    if form.is_valid():
        try:
            relay_from_finder(thread=Thread(alarm, event), text=form.cleaned_data["text"], via="web")
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            return redirect(request.path.removesuffix("relay/") + "#conversation")
    path = request.path.removesuffix("relay/")
    request.path = path
    return sent(request, page=page, code=code, token=token, relay_form=form)
