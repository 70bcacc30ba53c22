"""Editors' preview (issue 18 item 7): the side panel may frame the preview, and only the preview; it shows each
channel as its reader sees it (a WhatsApp bubble with its reply buttons, an SMS with its segment count, an email)."""

from __future__ import annotations

import pytest

from messaging.formatting import sms_segments
from messaging.models import MessageTemplate

from ..test_security_headers import csp
from .test_templates import BASE, _form

pytestmark = pytest.mark.django_db


def test_only_the_preview_may_be_framed_by_the_admin_itself(client, editor):
    client.force_login(editor)
    template = MessageTemplate.objects.get(kind="LOST", language="es", channel="")
    url = f"{BASE}/preview/{template.pk}/"
    client.post(url, _form(language="es", content="Hola {subject_name}", channel=""))
    preview = client.get(url)
    assert preview.status_code == 200
    assert csp(preview)["frame-ancestors"] == ["'self'"] and preview["X-Frame-Options"] == "SAMEORIGIN"
    edit = client.get(f"{BASE}/edit/{template.pk}/")
    assert edit.status_code == 200
    assert csp(edit)["frame-ancestors"] == ["'none'"] and edit["X-Frame-Options"] == "DENY"
    assert csp(edit)["frame-src"] == ["'self'"]  # the side panel's iframe itself


def test_the_preview_shows_each_channel_as_its_reader_sees_it(client, editor):
    client.force_login(editor)
    template = MessageTemplate.objects.get(kind="LOST", language="en", channel="")
    url = f"{BASE}/preview/{template.pk}/"
    client.post(url, _form(language="en", content="LOST {subject_name} at {location}", channel=""))
    html = client.get(url).content.decode()
    for channel in ("whatsapp", "sms", "email"):
        assert f'data-preview-channel="{channel}"' in html
    assert html.count("data-preview-button") == 3 and "Wrong number" in html
    assert 'data-sms-segments="1"' in html and "(UCS-2)" in html  # the í of Sofía is not in GSM-7
    assert "LOST Sofía at Parque México, Condesa" in html


def test_a_channel_specific_template_previews_that_channel_only(client, editor):
    client.force_login(editor)
    template = MessageTemplate.objects.create(
        name="Lost SMS", kind="LOST", language="es", channel="twilio_sms", content="PERDIDA {subject_name}"
    )
    url = f"{BASE}/preview/{template.pk}/"
    client.post(url, _form(language="es", content="Se ha extraviado {subject_name} " * 6, channel="twilio_sms"))
    html = client.get(url).content.decode()
    assert 'data-preview-channel="sms"' in html
    assert 'data-preview-channel="whatsapp"' not in html and 'data-preview-channel="email"' not in html
    assert 'data-sms-segments="3"' in html and "(UCS-2)" in html  # "í": UCS-2, 137 characters in 67-character parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (0, "GSM-7")),
        ("a" * 160, (1, "GSM-7")),
        ("a" * 161, (2, "GSM-7")),
        ("a" * 306, (2, "GSM-7")),
        ("a" * 307, (3, "GSM-7")),
        ("€" * 80, (1, "GSM-7")),  # extension characters count twice
        ("€" * 81, (2, "GSM-7")),
        ("Sofía" + "a" * 65, (1, "UCS-2")),
        ("Sofía" + "a" * 66, (2, "UCS-2")),
        ("👋" * 35, (1, "UCS-2")),  # an emoji is two UTF-16 units
        ("👋" * 36, (2, "UCS-2")),
    ],
)
def test_sms_segments(text, expected):
    assert sms_segments(text) == expected
