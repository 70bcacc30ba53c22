"""The canary walk: Alice's records carry marker strings in every field a page could show; Bob (another
custodian) and an editor walk every /admin/ and /ops/ URL the resolver knows, and no marker may appear in
anything they are served.

A status code proves little (a 200 chooser listed every family's alarms), so the walk reads bodies: HTML,
JSON, CSV, XLSX (decoded with openpyxl) and PDF (its streams inflated). Object parameters are filled with
Alice's ids, model parameters with every registered model, and listings are also asked with a search term
that matches Alice's records (`q`), page 2 (`p`), and as CSV and XLSX exports. Staff walk the same URLs and
must see every marker somewhere, so a marker nobody can see (a walk that proves nothing) fails too.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections import defaultdict

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import timezone
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.log_actions import log
from wagtail.snippets.models import get_snippet_models

from alerts.models import InactiveCodeScan, NotificationAttempt, ReachabilityCheck, ScanEvent, SituationType
from messaging.models import FlaggedAddress, InboundMessage, Message
from registry.models import CustodianRole, Custodianship, EmergencyContact

from .factories import AlarmFactory, CustodianFactory, QRCodeFactory, SubjectFactory
from .urlwalk import MODEL_PARAMS, OBJECT_PARAMS, all_routes, filled_urls, params_of

pytestmark = pytest.mark.django_db

# The word every text field starts with: what Bob types into a search box. It is echoed back in the search
# box, so it is never a marker itself.
TERM = "Zebrafinch"
ALARMS = 12  # more than a chooser page (10), so `p=2` has something to show
LISTING_QUERIES = ["", f"?q={TERM}", "?p=2", f"?q={TERM}&p=2", "?export=csv", "?export=xlsx"]
OPS_QUERIES = ["", f"?q={TERM}", "?p=2"]  # Django's admin has no `export` parameter (import-export has its own URL)
# Stored but shown on no console page, staff's included (the records are read-only: no edit form shows them).
# Still markers for Bob and the editor; only the staff walk's "every marker shows somewhere" skips them.
NOT_SHOWN = {"qxautoreply", "qxinboundproviderid", "qxmessageto", "qxnotificationerror"}
# Patterns never fetched: they end the session or are Wagtail's deliberate error pages.
SKIP = {"admin/logout/", "ops/logout/", "admin/failwhale/", "admin/test404/"}


def _m(tag: str) -> str:
    return f"qx{tag}"


def seed_alice() -> tuple[dict[str, list], list[str]]:
    """Alice's family, every shown field marked. Returns her objects' ids by model and the markers."""
    custodian = CustodianFactory(
        user__username="alice",
        user__first_name=f"{TERM} {_m('alicefirst')}",
        user__last_name=_m("alicelast"),
        user__email=f"{_m('aliceemail')}@example.com",
        phone_number="+525591827364",
        address=f"{TERM} {_m('aliceaddress')}",
    )
    user = custodian.user
    subject = SubjectFactory(
        custodian=custodian,
        name=f"{TERM} {_m('subjectname')}",
        medical_conditions=_m("conditions"),
        allergies=_m("allergies"),
        medications=_m("medications"),
        doctor_name=f"{TERM} {_m('doctorname')}",
        doctor_address=_m("doctoraddress"),
        doctor_speciality=_m("doctorspeciality"),
        public_message=_m("publicmessage"),
    )
    contact = EmergencyContact.objects.create(
        subject=subject,
        name=f"{TERM} {_m('contactname')}",
        relation=_m("relation"),
        email=f"{_m('contactemail')}@example.com",
    )
    code = QRCodeFactory(subject=subject, is_active=True)
    alarms = [
        AlarmFactory(
            qr_code=code,
            situation_type=SituationType.LOST,
            timestamp=timezone.now() - timezone.timedelta(minutes=n),
            description=f"{TERM} {_m('alarmdescription')}",
            location=f"{TERM} {_m('alarmlocation')}",
            finder_name=f"{TERM} {_m('findername')}",
            acknowledgement_note=_m("acknote"),
            acknowledged_by=_m("ackby"),
            resolution_notes=_m("resolution"),
            notification_error=_m("notificationerror"),
        )
        for n in range(ALARMS)
    ]
    alarm = alarms[0]
    scan = ScanEvent.objects.create(
        alarm=alarm,
        situation_type=SituationType.INJURED,
        location=_m("scanlocation"),
    )
    message = Message.objects.create(
        owner=user,
        recipient_name=f"{TERM} {_m('recipientname')}",
        to=f"{_m('messageto')}@example.com",
        channel="email",
        subject_line=_m("subjectline"),
        content=f"{TERM} {_m('messagecontent')}",
        error_message=_m("messageerror"),
    )
    attempt = NotificationAttempt.objects.create(
        alarm=alarm,
        custodian=custodian,
        recipient_key=f"custodian:{custodian.pk}",
        recipient_name=_m("attemptrecipient"),
        channel="email",
        message=message,
        error=_m("attempterror"),
    )
    inbound = InboundMessage.objects.create(
        channel="sms",
        from_address="+525591827364",
        address_hash="525591827364",
        body=f"{TERM} {_m('inboundbody')}",
        provider_message_id=_m("inboundproviderid"),
        in_reply_to=message,
        owner=user,
        auto_reply=_m("autoreply"),
    )
    check = ReachabilityCheck.objects.create(
        contact=contact, custodian=custodian, message=message, channel="email", reason=_m("reachreason")
    )
    inactive_code = QRCodeFactory(subject=subject, is_active=False)
    inactive = InactiveCodeScan.objects.create(qr_code=inactive_code)
    flagged = FlaggedAddress.objects.create(channel="sms", address_hash=_m("flaggedkey"), code="30003", message=message)
    # What Wagtail's own logging records when Alice edits her subject in the admin (the site-history report).
    log(instance=subject, action="wagtail.edit", user=user)
    log(instance=code, action="wagtail.edit", user=user)
    objects = {
        "auth.user": [user.pk],
        "registry.custodian": [custodian.pk],
        "registry.subject": [subject.pk],
        "registry.emergencycontact": [contact.pk],
        "registry.qrcode": [code.pk, inactive_code.pk],
        "alerts.alarm": [a.pk for a in alarms],
        "alerts.scanevent": [scan.pk],
        "alerts.notificationattempt": [attempt.pk],
        "alerts.reachabilitycheck": [check.pk],
        "alerts.inactivecodescan": [inactive.pk],
        "messaging.message": [message.pk],
        "messaging.inboundmessage": [inbound.pk],
        "messaging.flaggedaddress": [flagged.pk],
        "accounts.usermfa": [user.pk],
    }
    note_model = _alarm_note_model()
    if note_model is not None:
        note = note_model.objects.create(alarm=alarm, text=f"{TERM} {_m('alarmnote')}")
        objects["alerts.alarmnote"] = [note.pk]
    # Records whose label carries no marker are recognised by their label ("Message #12 · Email · pending").
    labels = [str(o) for o in (message, inbound)]
    markers = sorted(
        {
            *labels,
            *re.findall(r"qx[a-z]+", repr(_field_values(objects))),
            code.short_code,
            str(code.uuid),
            "91827364",
            "9182 7364",
        }
    )
    return objects, markers


def _alarm_note_model():
    try:
        return apps.get_model("alerts", "AlarmNote")
    except LookupError:
        return None


def _field_values(objects: dict[str, list]) -> list:
    """Every stored value of the seeded rows (decrypted), to collect the markers actually written."""
    values = []
    for label, pks in objects.items():
        model = apps.get_model(label)
        for obj in model._default_manager.filter(pk__in=pks):
            values += [getattr(obj, f.attname, None) for f in model._meta.concrete_fields]
    return values


def body_text(response) -> str:
    """What a response shows, as lower-case text: HTML/JSON/CSV as is, XLSX cells, PDF streams inflated."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind or raw.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(raw), read_only=True)
        cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
        return "\n".join(cells).lower()
    if raw.startswith(b"%PDF"):
        parts = [raw]
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
            try:
                parts.append(zlib.decompress(stream))
            except zlib.error:
                continue
        raw = b"\n".join(parts)
    return raw.decode("utf-8", "replace").lower()


def registered_models() -> list[tuple[str, str]]:
    """Every model a console knows: snippets, /ops/ admins and every model of the project's apps."""
    models = {m for m in get_snippet_models()} | set(admin.site._registry)
    models |= {m for m in apps.get_models() if m._meta.app_label in ("registry", "alerts", "messaging", "accounts")}
    return sorted({(m._meta.app_label, m._meta.model_name) for m in models})


def walk_urls(objects: dict[str, list]) -> list[str]:
    """Every /admin/ and /ops/ URL to visit, with its query variants."""
    models = registered_models()
    urls: list[str] = []
    for route in all_routes():
        if not route.route.startswith(("admin/", "ops/")) or route.route in SKIP:
            continue
        for url in filled_urls(route, objects, models):
            if route.name == "wagtail_bulk_action":
                continue  # expanded below, once per registered action with Alice's ids
            params = params_of(route)
            generic = any(p in MODEL_PARAMS for p in params)  # once per model already
            listing = not generic and (not any(p in OBJECT_PARAMS for p in params) or "history" in (route.name or ""))
            queries = LISTING_QUERIES if url.startswith("/admin/") else OPS_QUERIES
            urls += [url + q for q in queries] if listing else [url]
    bulk_action_registry._scan_for_bulk_actions()
    for app, by_model in bulk_action_registry.actions.items():
        for model, actions in by_model.items():
            pks = objects.get(f"{app}.{model}")
            if not pks:
                continue
            for action in actions:
                urls.append(f"/admin/bulk/{app}/{model}/{action}/?id={pks[0]}")
    return list(dict.fromkeys(urls))


def walk(client, urls: list[str], markers: list[str], *, until_seen: set[str] | None = None) -> dict[str, list[str]]:
    """Markers seen, each with the URLs that showed it. A server error is read like any other answer (its body
    is the generic error page) and listed under "500". With `until_seen`, the walk ends once every one of those
    markers has shown (a question about where markers appear at all, not about who may see them)."""
    seen: dict[str, list[str]] = defaultdict(list)
    client.raise_request_exception = False
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            seen["500"].append(url)
        text = body_text(response)
        for marker in markers:
            if marker.lower() in text:
                seen[marker].append(url)
        if until_seen is not None and until_seen <= seen.keys():
            break
    return seen


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Hundreds of expected 404s and 405s would bury the report."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def canary():
    objects, markers = seed_alice()
    return objects, markers, walk_urls(objects)


@pytest.fixture
def household_canary(canary):
    """The canary with Alice's subject shared with a co-custodian, Dora: a third family still sees nothing."""
    objects, _markers, _urls = canary
    dora = CustodianFactory(user__username="dora", user__first_name="Dora")
    Custodianship.objects.create(subject_id=objects["registry.subject"][0], custodian=dora, role=CustodianRole.CO)
    return canary


def _report(seen: dict[str, list[str]]) -> str:
    lines = []
    for marker, urls in sorted(seen.items()):
        lines.append(f"{marker}: {len(urls)} URL(s), e.g. " + ", ".join(urls[:4]))
    return "\n".join(lines)


@pytest.mark.parametrize("who", ["bob", "editor"])
def test_no_marker_of_alices_reaches_another_user_anywhere(client, household_canary, who, request):
    _objects, markers, urls = household_canary
    user = request.getfixturevalue(who)
    if who == "bob":
        SubjectFactory(custodian=user.custodian, name="Walter Baker")
    client.force_login(user)
    seen = walk(client, urls, markers)
    errors = seen.pop("500", [])
    print(f"\ncanary walk as {who}: server errors on {len(errors)} URL(s): {errors[:5]}")
    print(f"\ncanary walk as {who}: {len(urls)} URLs visited, {len(markers)} markers, {len(seen)} leaked")
    assert not seen, f"{who} saw Alice's markers:\n{_report(seen)}"


# Alice's own: her custodian record and the messages sent to her. Carol shares the subject, not these.
ALICE_OWN = {_m("aliceaddress"), _m("aliceemail"), _m("messageto"), _m("inboundbody"), "91827364", "9182 7364"}


def test_a_co_custodian_sees_the_shared_subject_and_none_of_the_other_custodians_own_records(client, canary):
    objects, markers, urls = canary
    carol = CustodianFactory(user__username="carol", user__first_name="Carol", language="en")
    Custodianship.objects.create(subject_id=objects["registry.subject"][0], custodian=carol, role=CustodianRole.CO)
    client.force_login(carol.user)
    seen = walk(client, urls, markers)
    errors = seen.pop("500", [])
    print(f"\ncanary walk as a co-custodian: server errors on {len(errors)} URL(s): {errors[:5]}")
    assert _m("subjectname") in seen and _m("conditions") in seen, "the shared subject is not shown to Carol"
    leaked = {marker: found for marker, found in seen.items() if marker in ALICE_OWN}
    assert not leaked, f"Carol saw Alice's own records:\n{_report(leaked)}"


def test_staff_see_every_marker_somewhere_on_the_same_walk(client, canary, staff):
    """The markers are real: each one shows on some page for staff, so their absence for Bob means something."""
    _objects, markers, urls = canary
    client.force_login(staff)
    # Staff may see everything: the walk stops as soon as every marker has shown once, so pages about one object
    # (edit, inspect, change: where most fields show) go first. The verdict does not depend on the order.
    by_object_first = sorted(urls, key=lambda url: re.search(r"/\d+/", url) is None)
    seen = walk(client, by_object_first, markers, until_seen=set(markers) - NOT_SHOWN)
    errors = seen.pop("500", [])
    print(f"\ncanary walk as staff: server errors on {len(errors)} URL(s): {errors[:5]}")
    print(f"\ncanary walk as staff: {len(seen)} of {len(markers)} markers seen")
    unseen = sorted(set(markers) - set(seen) - NOT_SHOWN)
    assert not unseen, f"markers no page shows to staff (drop them or show them): {unseen}"
