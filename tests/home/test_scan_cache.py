"""The rendered scan page kept per code and language (home.scan_cache, issue 17 item 2): a finder's GET after the
first reads no database row and renders nothing, yet every change to what the page shows is seen at once, the
rate limit still counts every GET, and the kept copy holds nothing readable."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.models import ScanPage
from home.scan_cache import _key
from registry.services import qr_code_deactivate, subject_archive, subject_photo_clear

from ..factories import QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def _get(client, code, **headers):
    return client.get(f"/scan/{code.uuid}/", **headers)


def _cached_get(client, code, **headers):
    """A GET and the statements it ran."""
    with CaptureQueriesContext(connection) as captured:
        response = _get(client, code, **headers)
    return response, [q["sql"] for q in captured.captured_queries]


def test_a_second_get_is_served_from_the_kept_page_without_a_query(client, alice_code):
    first = _get(client, alice_code)
    second, sql = _cached_get(client, alice_code)
    assert first.status_code == second.status_code == 200
    assert sql == []
    assert second.content == first.content
    # The same headers as the rendered page: the finder's page keeps its hardening.
    for header in ("Content-Security-Policy", "Cache-Control", "Referrer-Policy", "X-Robots-Tag", "Content-Type"):
        assert second[header] == first[header], header
    assert second["Cache-Control"] == "no-store" and second["Referrer-Policy"] == "no-referrer"


def test_the_page_carries_no_csrf_token_or_cookie_so_it_can_be_shared(client, alice_code):
    response = _get(client, alice_code)
    assert b"csrfmiddlewaretoken" not in response.content
    assert "csrftoken" not in response.cookies
    # The report still goes through: the route is exempt and checks Sec-Fetch-Site instead.
    posted = client.post(
        f"/scan/{alice_code.uuid}/", {"situation_type": "LOST", "location": "Parque"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert posted.status_code == 302


def test_each_language_is_kept_apart(client, alice_code):
    spanish = _get(client, alice_code, HTTP_ACCEPT_LANGUAGE="es")
    english = _get(client, alice_code, HTTP_ACCEPT_LANGUAGE="en")
    again, sql = _cached_get(client, alice_code, HTTP_ACCEPT_LANGUAGE="es")
    assert "Encontraste a Sofía" in spanish.content.decode() and "You found Sofía" in english.content.decode()
    assert sql == [] and again.content == spanish.content


def test_a_language_switch_is_rendered_and_sets_its_cookie(client, alice_code):
    _get(client, alice_code)
    cached, sql = _cached_get(client, alice_code)
    assert sql == [] and "You found Sofía" in cached.content.decode()
    switched = client.get(f"/scan/{alice_code.uuid}/?lang=es")  # rendered, not the kept English page
    assert "Encontraste a Sofía" in switched.content.decode() and switched.cookies["django_language"].value == "es"


def test_the_kept_copy_is_encrypted(client, alice_code):
    _get(client, alice_code, HTTP_ACCEPT_LANGUAGE="en")
    generation, token = cache.get(_key(alice_code.uuid, "en"))
    assert generation and b"Sof" not in token and b"Penicillin" not in token and b"diabetes" not in token


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda code: qr_code_deactivate(qr_code=code), id="code switched off"),
        pytest.param(lambda code: subject_archive(subject=code.subject), id="subject archived"),
        pytest.param(lambda code: type(code).objects.get(pk=code.pk).delete(), id="code deleted"),
    ],
)
def test_a_code_that_can_no_longer_raise_an_alarm_stops_serving_the_form_at_once(client, alice_code, change):
    assert _get(client, alice_code).status_code == 200
    change(alice_code)
    response = _get(client, alice_code)
    assert response.status_code == 404 and b"Sof" not in response.content


def test_withdrawn_details_disappear_at_once(client, alice_code, alice_subject):
    alice_subject.share_allergies = True
    alice_subject.save()
    assert "Penicillin" in _get(client, alice_code).content.decode()
    alice_subject.share_allergies = False
    alice_subject.save()
    assert "Penicillin" not in _get(client, alice_code).content.decode()


def test_a_cleared_photo_disappears_at_once(client, alice_code, alice_subject):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.services import subject_photo_set

    from ..registry.conftest import png_bytes

    subject_photo_set(subject=alice_subject, upload=SimpleUploadedFile("p.png", png_bytes(), "image/png"))
    type(alice_subject).objects.filter(pk=alice_subject.pk).update(share_photo=True)
    alice_subject.refresh_from_db()
    alice_subject.save()
    assert b"subject-photo" in _get(client, alice_code).content
    subject_photo_clear(subject=alice_subject)
    assert b"subject-photo" not in _get(client, alice_code).content


def test_a_newly_active_code_of_the_same_subject_serves_and_the_old_one_stops(client, alice_code, alice_subject):
    from registry.services import qr_code_activate

    assert _get(client, alice_code).status_code == 200
    replacement = QRCodeFactory(subject=alice_subject, is_active=False)
    assert _get(client, replacement).status_code == 404
    qr_code_activate(qr_code=replacement)
    assert _get(client, replacement).status_code == 200
    assert _get(client, alice_code).status_code == 404


def test_an_editors_new_texts_show_at_once(client, alice_code):
    _get(client, alice_code)
    page = ScanPage.objects.get()
    page.instructions = "Words the editors wrote today"
    page.save_revision().publish()
    assert "Words the editors wrote today" in _get(client, alice_code).content.decode()


def test_every_get_still_counts_against_the_rate_limit(client, alice_code, settings):
    settings.KERYU_SCAN_GET_RATE_PER_IP = "3/600"
    client.defaults["REMOTE_ADDR"] = "203.0.113.77"
    statuses = [_get(client, alice_code).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_another_familys_code_is_its_own_page(client, alice_code, bob):
    other = QRCodeFactory(subject=SubjectFactory(custodian=bob.custodian, name="Mateo Ruiz"), is_active=True)
    _get(client, alice_code)
    html = _get(client, other).content.decode()
    assert "Mateo" in html and "Sofía" not in html
