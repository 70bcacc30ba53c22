"""A household in Chromium, in Spanish and in English: the first custodian invites by email, a co-custodian
accepts the link, sees the shared subject and its alarm in their own console, is offered to leave instead of
archiving, and leaves. Screens go where the docs' screenshots go (docs/images/ with KERYU_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from registry.models import CustodianRole, Custodianship

from ..factories import AlarmFactory, CustodianFactory, QRCodeFactory, SubjectFactory
from .conftest import login_browser
from .test_docs_screenshots import DESKTOP, scroll_to, shot

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = {
    "en": {
        "invite": "Invite another custodian",
        "accept": "invites you to care for Sofía",
        "sent": "Invitation sent.",
        "leave": "Leave this household",
        "left": "You no longer care for Sofía Arroyo.",
    },
    "es": {
        "invite": "Invitar a otro custodio",
        "accept": "te invita a cuidar de Sofía",
        "sent": "Invitación enviada.",
        "leave": "Dejar este hogar",
        "left": "Ya no cuidas de Sofía Arroyo.",
    },
}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_co_custodian_accepts_an_invitation_and_sees_the_shared_subject(live_server, browser, mailoutbox, lang):
    texts = TEXTS[lang]
    alice = CustodianFactory(user__username="alice", user__first_name="Alicia", user__last_name="Arroyo", language=lang)
    carol = CustodianFactory(
        user__username="carol",
        user__first_name="Carolina",
        user__last_name="Campos",
        user__email="carolina@example.com",
        language=lang,
    )
    subject = SubjectFactory(custodian=alice, name="Sofía Arroyo")
    code = QRCodeFactory(subject=subject, is_active=True)
    locale = "es-MX" if lang == "es" else "en-US"

    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login_browser(page, live_server.url, alice.user)
    page.goto(f"{live_server.url}/admin/snippets/registry/subject/inspect/{subject.pk}/")
    page.locator("[data-keryu-household]").click()
    page.wait_for_url(f"**/admin/profile/household/{subject.pk}/")
    expect(page.get_by_role("heading", name=texts["invite"])).to_be_visible()
    page.locator("input[name=email]").fill("carolina@example.com")
    page.locator("select[name=language]").select_option(lang)
    shot(page, f"household-invite-{lang}")
    page.locator("button[name=invite]").click()
    page.wait_for_url(f"**/admin/profile/household/{subject.pk}/")
    assert texts["sent"] in page.content()
    context.close()

    link = re.search(r"(http://\S+/accounts/invitation/\S+/)", mailoutbox[-1].body).group(1)
    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login_browser(page, live_server.url, carol.user)
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    assert texts["accept"] in page.locator("h1").inner_text()
    shot(page, f"household-invitation-{lang}")
    page.locator("[data-keryu-accept]").click()
    page.wait_for_url("**/admin/")
    assert Custodianship.objects.filter(subject=subject, custodian=carol, role=CustodianRole.CO).exists()

    page.goto(f"{live_server.url}/admin/snippets/registry/subject/inspect/{subject.pk}/")
    assert "Sofía Arroyo" in page.content()
    page.locator("[data-keryu-household]").click()
    page.wait_for_url(f"**/admin/profile/household/{subject.pk}/")
    names = page.locator("[data-keryu-custodians]").inner_text()
    assert "Alicia Arroyo" in names and "Carolina Campos" in names
    expect(page.locator("[data-keryu-leave]")).to_be_visible()
    shot(page, f"household-members-{lang}")

    # The shared subject's alarm reaches her console too.
    alarm = AlarmFactory(qr_code=code)
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator(f'.keryu-open-alarms article[data-alarm="{alarm.pk}"]')).to_be_visible()
    page.goto(f"{live_server.url}/admin/snippets/alerts/alarm/inspect/{alarm.pk}/")
    assert "Sofía Arroyo" in page.title()
    shot(page, f"household-co-alarm-{lang}")

    # Archiving is the first custodian's: she is offered to leave instead, and leaves.
    page.goto(f"{live_server.url}/admin/snippets/registry/subject/inspect/{subject.pk}/")
    assert not page.locator(f'a[href="/admin/snippets/registry/subject/delete/{subject.pk}/"]').count()
    leave = page.locator("[data-keryu-leave-household]")
    assert leave.inner_text() == texts["leave"]
    scroll_to(leave)
    shot(page, f"household-co-subject-{lang}")
    leave.click()
    page.wait_for_url(f"**/admin/profile/household/{subject.pk}/")
    page.locator("[data-keryu-leave]").click()
    page.wait_for_url("**/admin/")
    assert texts["left"] in page.content()
    assert not Custodianship.objects.filter(subject=subject, custodian=carol).exists()
    shot(page, f"household-left-{lang}")
    context.close()
