"""A custodian signs up, verifies email and phone, enrols TOTP and lands on their dashboard (Chromium)."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from messaging.formatting import address_hash
from messaging.models import Message

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "violet-harbour-lantern-42"


def test_custodian_signs_up_verifies_enrols_totp_and_reaches_dashboard(live_server, desktop, mailoutbox):
    page = desktop
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("First name").fill("Carla")
    page.get_by_label("Last name").fill("Campos")
    page.get_by_label("Email").fill("carla@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Phone").fill("521 55 1234 5678")
    page.get_by_label("Language").select_option("en")
    screenshot(page, "accounts-signup")
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url("**/accounts/signup/phone/")
    message = Message.objects.get(address_hash=address_hash("+525512345678"), channel="development")
    code = re.search(r"\b(\d{6})\b", message.content).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify phone").click()
    page.wait_for_url("**/accounts/signup/done/")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    link = re.search(r"(http://\S+/accounts/verify-email/\S+/)", mailoutbox[-1].body).group(1)
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Verify my email").click()
    expect(page.get_by_role("heading", name="Your email is verified")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()

    page.locator("input[name=username]").fill("carla@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").first.click()
    page.wait_for_url("**/accounts/mfa/enrol/**")
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    screenshot(page, "accounts-mfa-enrol")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    token = TOTP(base64.b32decode(secret)).token()
    page.get_by_label("Code").fill(f"{token:06d}")
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url("**/accounts/mfa/backup-codes/**")
    assert page.locator(".codes li").count() == 10
    screenshot(page, "accounts-mfa-backup-codes")
    page.get_by_role("link", name="I saved them, continue").click()

    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.get_by_text("My profile").first).to_be_visible()
    screenshot(page, "accounts-dashboard")
    page.get_by_text("My profile").first.click()
    page.wait_for_url("**/admin/profile/")
    expect(page.get_by_role("heading", name="My activity")).to_be_visible()
    screenshot(page, "accounts-profile")


def test_login_browser_helper_gives_a_verified_console_session(live_server, desktop, alice):
    from .conftest import login_browser

    login_browser(desktop, live_server.url, alice)
    desktop.goto(f"{live_server.url}/admin/profile/")
    expect(desktop.get_by_role("heading", name="My profile")).to_be_visible()
