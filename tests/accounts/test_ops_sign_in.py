"""Signing in at /ops/login/ itself (a bookmark) lands in the console, behind the second factor."""

from __future__ import annotations

from tests.factories import PASSWORD


def test_signing_in_at_the_ops_login_page_leads_to_the_console_not_a_404(password_only_client, staff):
    # Unfold's login form carries no "next" field, so Django falls back to LOGIN_REDIRECT_URL.
    response = password_only_client.post("/ops/login/", {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/ops/"
    console = password_only_client.get("/ops/")
    assert console.status_code == 302 and console["Location"].startswith("/accounts/mfa/")
