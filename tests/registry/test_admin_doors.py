"""Every admin URL that reaches a registry record, enumerated from the URL resolver.

A URL whose route or name mentions the registry (or a generic Wagtail URL that takes a model and an
object, like bulk actions) must have a row in DOORS: adding a view without deciding how it is scoped
fails `test_every_registry_url_has_a_row`. Bob must get 403/404 on Alice's objects and see none of her
data anywhere; staff get the view.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from ..urlwalk import all_routes

pytestmark = pytest.mark.django_db

GENERIC = {"wagtail_bulk_action", "wagtailadmin_editing_sessions:ping"}


def registry_url_names() -> set[str]:
    """Names of registry URLs; an unnamed pattern is keyed by its route."""
    names = set()
    for route in all_routes():
        name = route.qualified_name
        if "registry" in route.route or "registry" in name or name in GENERIC:
            names.add(name if name and not name.endswith(":") else route.route)
    return names


@dataclass(frozen=True)
class Door:
    # "object": Bob gets 403/404 | "listing": Bob sees the page without Alice's data |
    # "ops": the staff console, which sends Bob to its login page
    kind: str
    staff: int  # expected status for staff
    method: str = "GET"
    kwargs: tuple = ()  # (url kwarg, object key) pairs
    query: str = ""


def _snippet_doors(model: str, obj: str) -> dict[str, Door]:
    ns = f"wagtailsnippets_registry_{model}"
    ch = f"wagtailsnippetchoosers_registry_{model}"
    pk = (("pk", obj),)
    return {
        f"{ns}:list": Door("listing", 200),
        f"{ns}:list_results": Door("listing", 200),
        f"{ns}:add": Door("listing", 200),
        f"{ns}:edit": Door("object", 200, kwargs=pk),
        f"{ns}:delete": Door("object", 200, kwargs=pk),
        f"{ns}:usage": Door("object", 200, kwargs=pk),
        f"{ns}:history": Door("object", 200, kwargs=pk),
        f"{ns}:history_results": Door("object", 200, kwargs=pk),
        f"{ns}:copy": Door("object", 200, kwargs=pk),
        f"{ns}:inspect": Door("object", 200, kwargs=pk),
        f"{ch}:choose": Door("listing", 200),
        f"{ch}:choose_results": Door("listing", 200),
        f"{ch}:chosen": Door("object", 200, kwargs=pk),
        f"{ch}:chosen_multiple": Door("listing", 200, query=f"id={{{obj}}}"),
        # Creating from inside a chooser is switched off for registry models (it would bypass scoped forms).
        f"{ch}:create": Door("object", 404, method="POST"),
    }


def _ops_doors(model: str, obj: str) -> dict[str, Door]:
    """The /ops/ console is staff-only as a whole: Bob is sent to its login page before any lookup."""
    pk = (("object_id", obj),)
    return {
        f"admin:registry_{model}_changelist": Door("ops", 200),
        f"admin:registry_{model}_add": Door("ops", 200),
        f"admin:registry_{model}_change": Door("ops", 200, kwargs=pk),
        f"admin:registry_{model}_delete": Door("ops", 200, kwargs=pk),
        f"admin:registry_{model}_history": Door("ops", 200, kwargs=pk),
        f"admin:registry_{model}_import": Door("ops", 200),
        f"admin:registry_{model}_process_import": Door("ops", 405),  # POST-only, after an import preview
        f"admin:registry_{model}_export": Door("ops", 200),
        f"ops/registry/{model}/<path:object_id>/": Door("ops", 302, kwargs=pk),  # redirect to the change page
    }


DOORS: dict[str, Door] = {
    **_snippet_doors("subject", "subject"),
    **_snippet_doors("qrcode", "code"),
    **_snippet_doors("custodian", "custodian"),
    "registry_subject_photo": Door("object", 200, kwargs=(("name", "photo"),)),
    "registry_public_photo": Door("object", 404, kwargs=(("code", "uuid"),)),  # not shared: nobody sees it
    "registry_qr_png": Door("object", 200, kwargs=(("pk", "code"),)),
    "registry_qr_svg": Door("object", 200, kwargs=(("pk", "code"),)),
    "registry_qr_badge_pdf": Door("object", 200, kwargs=(("pk", "code"),)),
    "registry_qr_badges_pdf": Door("object", 200, query="id={code}"),
    # Switching an active code off asks first: the bare POST answers with the confirmation page.
    "registry_qr_toggle": Door("object", 200, method="POST", kwargs=(("pk", "code"),)),
    "registry_subject_code_generate": Door("object", 302, method="POST", kwargs=(("pk", "subject"),)),
    **_ops_doors("custodian", "custodian"),
    **_ops_doors("subject", "subject"),
    "admin:app_list": Door("ops", 200, kwargs=(("app_label", "registry_label"),)),
    # Expanded below, once per registry model and action.
    "wagtail_bulk_action": Door("object", 200),
    "wagtailadmin_editing_sessions:ping": Door("object", 200, method="POST"),
}

BULK = [
    ("subject", "delete", "subject", 200),
    ("qrcode", "delete", "code", 200),
    ("custodian", "delete", "custodian", 200),
    ("qrcode", "print_badges", "code", 302),
]
MODELS = [("subject", "subject"), ("qrcode", "code"), ("custodian", "custodian")]


def _objects(code) -> dict:
    subject = code.subject
    return {
        "subject": subject.pk,
        "code": code.pk,
        "custodian": subject.custodian.pk,
        "photo": subject.photo.name,
        "uuid": str(code.uuid),
        "registry_label": "registry",
    }


def _requests(objs: dict):
    """(name, method, url, door) for every door, generic ones expanded per model."""
    for name, door in DOORS.items():
        if name == "wagtail_bulk_action":
            for model, action, key, staff_status in BULK:
                url = reverse(name, args=["registry", model, action]) + f"?id={objs[key]}"
                yield name, "GET", url, Door("object", staff_status)
            continue
        if name == "wagtailadmin_editing_sessions:ping":
            for model, key in MODELS:
                yield name, "POST", reverse(name, args=["registry", model, str(objs[key]), 0]), door
            continue
        if name.startswith("ops/"):
            url = "/" + name.replace("<path:object_id>", str(objs[door.kwargs[0][1]]))
            yield name, door.method, url, door
            continue
        url = reverse(name, kwargs={k: objs[v] for k, v in door.kwargs})
        if door.query:
            url += "?" + door.query.format(**objs)
        yield name, door.method, url, door


def _alice_markers(code) -> list[bytes]:
    subject = code.subject
    return [
        s.encode()
        for s in [
            "Sofía",
            "Sof\\u00eda",
            "Arroyo",
            "Type 1 diabetes",
            "Penicillin",
            "Imelda",
            "Abuela Carmen",
            code.short_code,
            str(code.uuid),
            subject.photo.name,
            "alice@example.com",
        ]
    ]


def test_every_registry_url_has_a_row():
    assert registry_url_names() == set(DOORS), "a registry URL was added or removed: give it a row in DOORS"


def test_bob_is_refused_alices_records_through_every_door(client, alice_full, bob, bob_subject):
    client.force_login(bob)
    markers = _alice_markers(alice_full)
    for name, method, url, door in _requests(_objects(alice_full)):
        response = client.post(url) if method == "POST" else client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if door.kind == "object":
            assert response.status_code in (403, 404), (name, url, response.status_code)
        elif door.kind == "ops":
            assert response.status_code == 302 and response["Location"].startswith("/ops/login/"), (name, url)
        else:
            assert response.status_code in (200, 302, 400, 405), (name, url, response.status_code)
        for marker in markers:
            assert marker not in body, (name, url, marker)


def test_staff_reach_every_door(client, alice_full, staff):
    client.force_login(staff)
    for name, method, url, door in _requests(_objects(alice_full)):
        response = client.post(url) if method == "POST" else client.get(url)
        assert response.status_code == door.staff, (name, url, response.status_code)


def test_alice_reaches_her_own_downloads(client, alice_full, alice):
    client.force_login(alice)
    objs = _objects(alice_full)
    assert client.get(reverse("registry_qr_png", args=[objs["code"]]))["Content-Type"] == "image/png"
    assert client.get(reverse("registry_qr_svg", args=[objs["code"]]))["Content-Type"] == "image/svg+xml"
    pdf = client.get(reverse("registry_qr_badge_pdf", args=[objs["code"]]))
    assert pdf.content.startswith(b"%PDF")
    photo = client.get(reverse("registry_subject_photo", args=[objs["photo"]]))
    assert photo.status_code == 200 and "no-store" in photo["Cache-Control"] and "private" in photo["Cache-Control"]


def test_one_foreign_id_refuses_the_whole_badge_sheet(client, alice_full, bob, bob_subject):
    from registry.services import qr_code_create

    bob_code = qr_code_create(subject=bob_subject, activate=True)
    client.force_login(bob)
    assert client.get(reverse("registry_qr_badges_pdf") + f"?id={bob_code.pk}").status_code == 200
    url = reverse("registry_qr_badges_pdf") + f"?id={bob_code.pk}&id={alice_full.pk}"
    assert client.get(url).status_code == 404


def test_bob_cannot_file_a_subject_under_alices_record(client, alice, bob):
    client.force_login(bob)
    response = client.post(
        reverse("wagtailsnippets_registry_subject:add"),
        {
            "custodian": alice.custodian.pk,
            "name": "Intruder",
            "is_active": "on",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200  # the form is redisplayed with an error
    assert not alice.custodian.subjects.filter(name="Intruder").exists()


def test_the_list_toggle_works_with_csrf_enforced(alice, alice_code):

    from tests.conftest import OTPVerifiedClient

    browser = OTPVerifiedClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    listing = browser.get(reverse("wagtailsnippets_registry_qrcode:list")).content.decode()
    start = listing.index('action="/admin/registry/qr/')
    token = listing[listing.index('name="csrfmiddlewaretoken" value="', start) :].split('"')[3]
    response = browser.post(
        reverse("registry_qr_toggle", args=[alice_code.pk]), {"active": "0", "csrfmiddlewaretoken": token}
    )
    # Switching a code off asks first; the confirmation posts again with confirmed=1.
    assert response.status_code == 200 and "data-keryu-confirm-deactivate" in response.content.decode()
    alice_code.refresh_from_db()
    assert alice_code.is_active
    response = browser.post(
        reverse("registry_qr_toggle", args=[alice_code.pk]),
        {"active": "0", "confirmed": "1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    alice_code.refresh_from_db()
    assert not alice_code.is_active


def test_bob_cannot_make_a_code_for_alices_subject(client, alice_subject, bob):
    client.force_login(bob)
    response = client.post(reverse("wagtailsnippets_registry_qrcode:add"), {"subject": alice_subject.pk})
    assert response.status_code == 200 and not alice_subject.qr_codes.exists()


def test_bob_cannot_rewrite_alices_contact_through_his_own_subject_form(client, alice_full, bob, bob_subject):
    contact = alice_full.subject.contacts.get()
    client.force_login(bob)
    client.post(
        reverse("wagtailsnippets_registry_subject:edit", args=[bob_subject.pk]),
        {
            "custodian": bob.custodian.pk,
            "name": bob_subject.name,
            "is_active": "on",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "1",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
            "contacts-0-id": contact.pk,
            "contacts-0-name": "Hijacked",
            "contacts-0-preferred_channel": "sms",
            "contacts-0-language": "en",
            "contacts-0-ORDER": "1",
        },
    )
    contact.refresh_from_db()
    assert contact.name == "Abuela Carmen" and contact.subject_id == alice_full.subject_id
