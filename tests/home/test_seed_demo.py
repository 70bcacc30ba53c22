from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from registry.models import Custodian, QRCode, Subject

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_logins_and_a_scan_url(capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert Custodian.objects.count() == 2 and Subject.objects.count() == 3
    assert QRCode.objects.filter(is_active=True).count() == 3
    assert all(s.photo and s.contacts.exists() for s in Subject.objects.all())
    assert all(c.phone_hash for c in Custodian.objects.all())
    assert "Scan URL for" in out and "/scan/" in out and "alice" in out


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_seed_demo_users_can_pass_the_second_factor(capsys, settings, password_only_client):
    import base64
    import re

    from django_otp.oath import TOTP

    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    secret = re.search(r"TOTP secret ([A-Z2-7=]+)", out).group(1)
    c = password_only_client
    c.post("/admin/login/", {"username": "alice", "password": "keryu-demo-pass"})
    assert c.get("/admin/")["Location"].startswith("/accounts/mfa/verify/")
    token = f"{TOTP(base64.b32decode(secret)).token():06d}"
    assert c.post("/accounts/mfa/verify/", {"code": token})["Location"] == "/admin/"
    assert c.get("/admin/").status_code == 200
