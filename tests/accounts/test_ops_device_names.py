"""/ops/ names django-otp's devices in the reader's language (the package names them in plain English)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        ("es", ["Apps de autenticación", "Juegos de códigos de respaldo"], ["TOTP devices", "Static devices"]),
        ("en", ["Authenticator apps", "Backup code sets"], ["TOTP devices", "Static devices"]),
    ],
)
def test_ops_names_the_second_factor_devices_in_the_readers_language(client, staff, language, shown, not_shown):
    client.force_login(staff)
    html = client.get("/ops/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for text in shown:
        assert text in html, text
    for text in not_shown:
        assert text not in html, text
