"""Email link (single use, 24 h) and phone code (tries, expiry, resend limits), through the views."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import PhoneCode, PhoneCodeSend
from registry.models import Custodian

from .conftest import last_code

pytestmark = pytest.mark.django_db


def _link_path() -> str:
    return re.search(r"http://testserver(/accounts/verify-email/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_email_link_works_once_and_fails_on_second_use(client, pending_user):
    path = _link_path()
    assert client.get(path).status_code == 200  # a prefetching mail scanner does not spend the link
    response = client.post(path)
    assert "Your email is verified" in response.content.decode()
    assert Custodian.objects.get(user=pending_user).email_verified_at is not None
    again = client.post(path)
    assert again.status_code == 400
    assert "invalid, expired or already used" in again.content.decode()


def test_email_link_fails_after_24_hours(client, pending_user):
    path = _link_path()
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        response = client.post(path)
    assert response.status_code == 400
    assert Custodian.objects.get(user=pending_user).email_verified_at is None


def test_email_link_still_works_just_before_24_hours(client, pending_user):
    path = _link_path()
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert client.post(path).status_code == 200


def test_resent_link_replaces_the_old_one(client, pending_user):
    old = _link_path()
    services.email_token_send(user=pending_user)
    assert client.post(old).status_code == 400
    assert client.post(_link_path()).status_code == 200


def test_account_becomes_active_only_after_email_and_phone(client, pending_user):
    services.phone_code_verify(user=pending_user, e164="+525512345678", code=last_code(pending_user))
    services.registration_mark(user=pending_user, phone=True)
    assert not User.objects.get(pk=pending_user.pk).is_active
    client.post(_link_path())
    assert User.objects.get(pk=pending_user.pk).is_active


def _signup(client, signup_data) -> User:
    client.post("/accounts/signup/", signup_data)
    return User.objects.get(email=signup_data["email"])


def test_sixth_wrong_phone_code_is_refused_even_if_right(client, signup_data):
    user = _signup(client, signup_data)
    code = last_code(user)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = client.post("/accounts/signup/phone/", {"code": wrong})
        assert f"That code is not right. {left} tries left." in response.content.decode()
    response = client.post("/accounts/signup/phone/", {"code": wrong})
    assert "Too many wrong tries for this code. Ask for a new code." in response.content.decode()
    response = client.post("/accounts/signup/phone/", {"code": code})
    assert "Too many wrong tries for this code. Ask for a new code." in response.content.decode()
    assert Custodian.objects.get(user=user).phone_verified_at is None


def test_right_phone_code_verifies_and_cannot_be_reused(client, signup_data):
    user = _signup(client, signup_data)
    code = last_code(user)
    response = client.post("/accounts/signup/phone/", {"code": code})
    assert response["Location"] == "/accounts/signup/done/"
    assert Custodian.objects.get(user=user).phone_verified_at is not None
    assert PhoneCode.objects.get(user=user).code_hash != code  # stored hashed
    with pytest.raises(services.ValidationError):
        services.phone_code_verify(user=user, e164="+525512345678", code=code)


def test_expired_phone_code_is_refused(client, signup_data):
    user = _signup(client, signup_data)
    code = last_code(user)
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = client.post("/accounts/signup/phone/", {"code": code})
    assert "This code has expired. Ask for a new code." in response.content.decode()
    assert Custodian.objects.get(user=user).phone_verified_at is None


def test_phone_code_page_is_bound_to_the_signup_session(client, password_only_client, signup_data):
    user = _signup(client, signup_data)
    response = password_only_client.post("/accounts/signup/phone/", {"code": last_code(user)})
    assert response["Location"] == "/accounts/signup/"
    assert Custodian.objects.get(user=user).phone_verified_at is None


def test_resend_limits_one_a_minute_three_an_hour_ten_a_day(client, signup_data):
    user = _signup(client, signup_data)  # code 1 at t0
    start = timezone.now()
    response = client.post("/accounts/signup/phone/", {"resend": "1"}, follow=True)
    assert "A code was just sent. Wait a minute before asking for another." in response.content.decode()
    with time_machine.travel(start + timedelta(minutes=1, seconds=5)):
        assert (
            "We sent you a new code."
            in client.post("/accounts/signup/phone/", {"resend": "1"}, follow=True).content.decode()
        )
    with time_machine.travel(start + timedelta(minutes=2, seconds=10)):
        services.phone_code_send(user=user, e164="+525512345678")  # third this hour
    with time_machine.travel(start + timedelta(minutes=3, seconds=15)):
        response = client.post("/accounts/signup/phone/", {"resend": "1"}, follow=True)
        assert "Too many codes this hour. Try again later." in response.content.decode()
    # Seven more over the day, each in a fresh hour: ten in 24 h, then the day limit.
    for hour in range(1, 8):
        with time_machine.travel(start + timedelta(hours=hour, minutes=5)):
            services.phone_code_send(user=user, e164="+525512345678")
    with time_machine.travel(start + timedelta(hours=9)):  # past the session's age: the service directly
        with pytest.raises(services.ValidationError, match=r"Too many codes today\. Try again tomorrow\."):
            services.phone_code_send(user=user, e164="+525512345678")
    assert PhoneCodeSend.objects.filter(phone_code__user=user).count() == 10
    with time_machine.travel(start + timedelta(days=1, minutes=1)):
        services.phone_code_send(user=user, e164="+525512345678")


def test_a_resend_keeps_the_earlier_code_good(client, signup_data):
    """Twilio Verify's rule: every code of an open verification works (a slow WhatsApp code after its SMS
    fallback, a first code after a resend)."""
    user = _signup(client, signup_data)
    first = last_code(user)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        services.phone_code_send(user=user, e164="+525512345678")
        services.phone_code_verify(user=user, e164="+525512345678", code=first)


def test_a_new_verification_voids_the_codes_of_the_previous_one(client, signup_data):
    user = _signup(client, signup_data)
    old = last_code(user)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):  # the first verification has expired
        services.phone_code_send(user=user, e164="+525512345678")
        new = last_code(user)
        assert PhoneCode.objects.filter(user=user).count() == 2
        if old != new:
            with pytest.raises(services.ValidationError):
                services.phone_code_verify(user=user, e164="+525512345678", code=old)
        services.phone_code_verify(user=user, e164="+525512345678", code=new)


def test_abandoned_registrations_are_purged_after_24_hours(pending_user, alice):
    assert services.registrations_purge_abandoned() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert services.registrations_purge_abandoned() == 1
    assert not User.objects.filter(pk=pending_user.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()


def test_instant_verification_setting_activates_at_once(client, signup_data, settings):
    settings.KERYU_INSTANT_VERIFICATION = True
    response = client.post("/accounts/signup/", signup_data)
    assert response["Location"] == "/accounts/signup/done/"
    assert User.objects.get(email="carla@example.com").is_active
    assert mail.outbox == []


def test_instant_verification_is_off_by_default_without_debug():
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DEBUG']='false'; os.environ['DJANGO_SECRET_KEY']='x'*50; "
        "os.environ['KERYU_PHONE_HASH_KEY']='k'; os.environ['KERYU_FIELD_ENCRYPTION_KEYS']='a2VyeXUtZGV2LW9ubHktZmllbGQtZW5jLWtleS0zMmI='; os.environ['DATABASE_URL']='sqlite:////tmp/x.db'; "
        "os.environ['CELERY_BROKER_URL']='redis://127.0.0.1:1/0'; "
        "os.environ['DJANGO_SETTINGS_MODULE']='keryu_site.settings.base'; "
        "from django.conf import settings; print(settings.KERYU_INSTANT_VERIFICATION)"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "KERYU_INSTANT_VERIFICATION"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"


def test_purge_runs_hourly_from_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="accounts: purge abandoned registrations")
    assert task.task == "accounts.registrations_purge_abandoned" and task.interval.every == 1


def test_the_phone_code_never_reaches_the_logs(client, signup_data, caplog):
    import logging

    with caplog.at_level(logging.DEBUG):
        user = _signup(client, signup_data)
    code = last_code(user)
    assert code not in caplog.text
    assert "+525512345678" not in caplog.text and "5512345678" not in caplog.text
