"""Issue 18's console, walked in Chromium in Spanish and in English: a custodian (home, an alarm acknowledged, a
person, the badge, the profile's time zone and the alarm on that clock), staff (dashboard, an alarm, /ops/) and an
editor (a template edited, previewed in the side panel and in a new tab).

Screens go where tests/browser/test_docs_screenshots.py puts them (var/screenshots/docs/, or docs/images/ with
KERYU_DOCS_SCREENSHOTS=1), named console-*-<language>.png.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.users.models import UserProfile

from alerts.models import Alarm, NotificationAttempt, NotificationStatus, SituationType
from home.management.commands.seed_demo import demo_photo
from messaging.models import MessageTemplate
from registry.models import Custodian, QRCode
from registry.services import subject_photo_set

from ..factories import AlarmFactory, QRCodeFactory, SubjectFactory
from .conftest import login_browser
from .test_docs_screenshots import DESKTOP, scroll_to, shot

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["es", "en"]
# What each language's screens say (the catalogue's Spanish, Keryu's English).
SAYS = {
    "es": {
        "sign_in": "Inicia sesión en Keryu",
        "open_alarms": "Alarmas abiertas",
        "hurt": "sufrió una lesión",
        "acknowledge": "Yo me encargo (atender)",
        "people": "Personas a tu cargo",
        "scan_history": "Historial de escaneos",
        "confirm": "Sí, desactivarlo",
        "health": "Estado del sistema",
        "delivery": "Entrega por canal",
        "failed": "Notificaciones fallidas, últimos 7 días",
        "wrong_number": "Número equivocado",
        "times_in": "Horas en America/Tijuana",
    },
    "en": {
        "sign_in": "Sign in to Keryu",
        "open_alarms": "Open alarms",
        "hurt": "is hurt",
        "acknowledge": "I'm on it (acknowledge)",
        "people": "People in your care",
        "scan_history": "Scan history",
        "confirm": "Yes, deactivate it",
        "health": "System health",
        "delivery": "Delivery by channel",
        "failed": "Failed notifications, last 7 days",
        "wrong_number": "Wrong number",
        "times_in": "Times in America/Tijuana",
    },
}


def speaks(user, language: str) -> None:
    """The admin's language is the user's Wagtail profile's; a custodian's messages follow their own profile."""
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    custodian = getattr(user, "custodian", None)
    if custodian is not None:
        type(custodian).objects.filter(pk=custodian.pk).update(language=language)


def page_for(browser, language: str):
    width, height = DESKTOP
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="es-MX" if language == "es" else "en-US"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.parametrize("language", LANGUAGES)
def test_custodian_console(browser, live_server, alice, alice_subject, alice_code, language):
    says = SAYS[language]
    base = live_server.url
    speaks(alice, language)
    subject_photo_set(subject=alice_subject, upload=demo_photo("Sofía Arroyo", 0))
    grandpa = SubjectFactory(custodian=alice.custodian, name="Abuelo Tomás Quintana")
    grandpa_code = QRCodeFactory(subject=grandpa, is_active=True)
    injured = AlarmFactory(
        qr_code=alice_code, situation_type=SituationType.INJURED, timestamp=timezone.now() - timedelta(minutes=4)
    )
    AlarmFactory(
        qr_code=grandpa_code, situation_type=SituationType.LOST, timestamp=timezone.now() - timedelta(minutes=9)
    )

    page = page_for(browser, language)
    page.goto(f"{base}/admin/login/")
    expect(page.get_by_role("heading", name=says["sign_in"])).to_be_visible()
    assert page.title().endswith("Keryu")
    shot(page, f"console-login-{language}")

    login_browser(page, base, alice)
    page.goto(f"{base}/admin/")
    panel = page.locator(".keryu-open-alarms")
    assert says["open_alarms"] in panel.locator("h2").inner_text()
    first = panel.locator("article").first
    assert first.get_attribute("data-alarm") == str(injured.pk)  # INJURED first, in red
    assert says["hurt"] in first.inner_text()
    assert "keryu-alarm--injured" in (first.get_attribute("class") or "")
    sidebar = page.locator("#wagtail-sidebar").inner_text()
    for hidden in ("Pages", "Páginas", "Help", "Ayuda", "Images", "Imágenes"):
        assert hidden not in sidebar, hidden
    assert not page.get_by_placeholder("Search all pages…").count()
    expect(page.get_by_role("heading", name=says["people"])).to_be_visible()
    assert page.locator('[data-keryu-badge="pdf"]').count() == 2
    shot(page, f"console-home-{language}")
    scroll_to(page.locator("#keryu-my-subjects"))
    shot(page, f"console-people-{language}")

    with page.expect_navigation():
        first.get_by_role("button", name=says["acknowledge"]).click()
    assert Alarm.objects.get(pk=injured.pk).acknowledged_at is not None

    page.goto(f"{base}/admin/snippets/registry/subject/inspect/{alice_subject.pk}/")
    assert page.locator("[data-keryu-photo]").is_visible() and page.locator("[data-keryu-qr]").is_visible()
    expect(page.get_by_role("heading", name=says["scan_history"])).to_be_visible()
    shot(page, f"console-subject-{language}")
    # The badge: one click, a printable PDF.
    badge = page.request.get(base + page.locator('[data-keryu-badge="pdf"]').get_attribute("href"))
    assert badge.ok and badge.headers["content-type"] == "application/pdf"
    assert badge.body().startswith(b"%PDF")

    # Her profile: her own clock (issue 18 item 3), then the alarm page on it, the zone named.
    page.goto(f"{base}/admin/profile/")
    page.locator("select[name=time_zone]").select_option("America/Tijuana")
    shot(page, f"console-profile-{language}")
    with page.expect_navigation():
        page.locator("form:has(select[name=time_zone]) button[type=submit]").click()
    assert Custodian.objects.get(pk=alice.custodian.pk).time_zone == "America/Tijuana"
    page.goto(f"{base}/admin/snippets/alerts/alarm/inspect/{injured.pk}/")
    there = timezone.localtime(injured.timestamp, ZoneInfo("America/Tijuana")).strftime("%Y-%m-%d %H:%M %Z")
    assert there in page.title()
    assert page.locator('[data-keryu-zone="America/Tijuana"]').inner_text() == says["times_in"]
    assert page.locator("tr.timeline-scan td").first.inner_text() == there
    scroll_to(page.locator("[data-keryu-zone]"), offset=140)
    shot(page, f"console-alarm-{language}")

    page.goto(f"{base}/admin/snippets/registry/qrcode/inspect/{alice_code.pk}/")
    with page.expect_navigation():
        page.locator(f'[data-keryu-toggle="{alice_code.short_code}"]').click()
    assert QRCode.objects.get(pk=alice_code.pk).is_active  # not yet: it asks first
    shot(page, f"console-deactivate-confirm-{language}")
    with page.expect_navigation():
        page.get_by_role("button", name=says["confirm"]).click()
    assert not QRCode.objects.get(pk=alice_code.pk).is_active
    page.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_dashboard(browser, live_server, staff, alice_code, language):
    says = SAYS[language]
    speaks(staff, language)
    now = timezone.now()
    injured = AlarmFactory(
        qr_code=alice_code, situation_type=SituationType.INJURED, timestamp=now - timedelta(minutes=3)
    )
    for recipient, channel, status, after in (
        ("custodian:1", "meta_whatsapp", NotificationStatus.DELIVERED, 20),
        ("custodian:1", "twilio_sms", NotificationStatus.FAILED, None),
        ("custodian:1", "email", NotificationStatus.DELIVERED, 75),
        ("contact:1", "meta_whatsapp", NotificationStatus.CANCELLED, None),  # not a failure: not counted
    ):
        NotificationAttempt.objects.create(
            alarm=injured,
            recipient_key=recipient,
            channel=channel,
            status=status,
            delivered_at=injured.timestamp + timedelta(seconds=after) if after else None,
        )

    page = page_for(browser, language)
    login_browser(page, live_server.url, staff)
    page.goto(f"{live_server.url}/admin/")
    open_panel = page.locator(".keryu-staff-open")
    expect(open_panel.locator(f'tr[data-alarm="{injured.pk}"]').first).to_be_visible()
    expect(page.get_by_role("heading", name=says["failed"])).to_be_visible()
    expect(page.get_by_role("heading", name=says["delivery"])).to_be_visible()
    assert page.locator('[data-window-table="24"] tr[data-channel="meta_whatsapp"] td').nth(4).inner_text() == "100"
    assert page.locator(".keryu-staff-health h2").inner_text().startswith(says["health"])
    for part in ("worker", "beat", "queue"):
        expect(page.locator(f'tr[data-check="{part}"]')).to_be_visible()
    assert page.locator("#wagtail-sidebar").get_by_text("Pages" if language == "en" else "Páginas").count()
    shot(page, f"console-staff-home-{language}")
    scroll_to(page.locator("#keryu-staff-delivery"))
    shot(page, f"console-staff-delivery-{language}")
    scroll_to(page.locator("#keryu-staff-health"))
    shot(page, f"console-staff-health-{language}")

    # An alarm, as staff take it over (acknowledge for the family, record the emergency call).
    page.goto(f"{live_server.url}/admin/snippets/alerts/alarm/inspect/{injured.pk}/")
    expect(page.locator(".alarm-take-over")).to_be_visible()
    expect(page.locator(".alarm-staff-ack-form")).to_be_visible()
    assert page.locator("tr.timeline-attempt").count() >= 3
    scroll_to(page.locator(".alarm-take-over"))
    shot(page, f"console-staff-alarm-{language}")

    # /ops/ (Unfold), in the browser's language: staff's queue on top, then the delivery channels.
    page.goto(f"{live_server.url}/ops/")
    assert (page.locator("html").get_attribute("lang") or "").startswith(language)
    expect(page.locator(".keryu-unacknowledged-table")).to_be_visible()
    shot(page, f"console-ops-{language}")
    page.goto(f"{live_server.url}/ops/messaging/channelsetting/")
    expect(page.locator("#result_list")).to_be_visible()
    shot(page, f"console-ops-channels-{language}")
    page.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_editor_previews_a_message_in_the_side_panel(browser, live_server, editor, language):
    says = SAYS[language]
    speaks(editor, language)
    template = MessageTemplate.objects.get(kind="LOST", language=language, channel="")
    page = page_for(browser, language)
    login_browser(page, live_server.url, editor)
    page.goto(f"{live_server.url}/admin/snippets/messaging/messagetemplate/edit/{template.pk}/")
    page.locator('[data-side-panel-toggle="preview"]').click()
    frame = page.frame_locator("#w-preview-iframe")
    frame.locator('[data-preview-channel="whatsapp"] .bubble').wait_for()
    assert "Sofía" in frame.locator('[data-preview-channel="whatsapp"] .bubble').inner_text()
    assert frame.locator("[data-preview-button]").count() == 3
    assert says["wrong_number"] in frame.locator('[data-preview-channel="whatsapp"]').inner_text()
    assert frame.locator("[data-sms-segments]").count() == 1
    expect(frame.locator('[data-preview-channel="email"]')).to_be_visible()
    # Styled, not plain text: the preview's own styles applied inside the side panel's frame.
    radius = frame.locator(".wa .bubble").evaluate("el => getComputedStyle(el).borderTopRightRadius")
    assert radius == "8px"
    shot(page, f"console-editor-preview-{language}")

    # An edit shows in the preview, and "Preview in new tab" opens the same styled channel preview.
    content = page.locator("#id_content")
    content.fill(content.input_value() + " [Keryu-preview-edit]")
    with page.context.expect_page() as opened:
        page.locator('[data-w-preview-target="newTab"]').click()
    tab = opened.value
    tab.wait_for_load_state()
    shot(tab, f"console-editor-preview-tab-{language}")
    bubble = tab.locator('[data-preview-channel="whatsapp"] .bubble')
    assert "Sofía" in bubble.inner_text() and "[Keryu-preview-edit]" in bubble.inner_text()
    assert bubble.evaluate("el => getComputedStyle(el).borderTopRightRadius") == "8px"
    assert tab.locator(".wa").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(239, 234, 226)"
    assert tab.locator("[data-preview-button]").count() == 3
    assert tab.locator("[data-sms-segments]").count() == 1 and tab.locator('[data-preview-channel="email"]').count()
    shot(tab, f"console-editor-preview-tab-{language}")
    page.context.close()
