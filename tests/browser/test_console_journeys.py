"""Issue 18's console, walked in Chromium in Spanish and in English: a custodian, staff and an editor.

Screens go where tests/browser/test_docs_screenshots.py puts them (var/screenshots/docs/, or docs/images/ with
KERYU_DOCS_SCREENSHOTS=1), named console-*-<language>.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.users.models import UserProfile

from alerts.models import Alarm, NotificationAttempt, NotificationStatus, SituationType
from home.management.commands.seed_demo import demo_photo
from messaging.models import MessageTemplate
from registry.models import QRCode
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
    assert page.get_by_role("heading", name=says["sign_in"]).is_visible()
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
    assert page.get_by_role("heading", name=says["people"]).is_visible()
    assert page.locator('[data-keryu-badge="pdf"]').count() == 2
    shot(page, f"console-home-{language}")
    scroll_to(page.locator("#keryu-my-subjects"))
    shot(page, f"console-people-{language}")

    with page.expect_navigation():
        first.get_by_role("button", name=says["acknowledge"]).click()
    assert Alarm.objects.get(pk=injured.pk).acknowledged_at is not None

    page.goto(f"{base}/admin/snippets/registry/subject/inspect/{alice_subject.pk}/")
    assert page.locator("[data-keryu-photo]").is_visible() and page.locator("[data-keryu-qr]").is_visible()
    assert page.get_by_role("heading", name=says["scan_history"]).is_visible()
    shot(page, f"console-subject-{language}")

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
    assert open_panel.locator(f'tr[data-alarm="{injured.pk}"]').first.is_visible()
    assert page.get_by_role("heading", name=says["failed"]).is_visible()
    assert page.get_by_role("heading", name=says["delivery"]).is_visible()
    assert page.locator('[data-window-table="24"] tr[data-channel="meta_whatsapp"] td').nth(4).inner_text() == "100"
    assert page.locator(".keryu-staff-health h2").inner_text().startswith(says["health"])
    for part in ("worker", "beat", "queue"):
        assert page.locator(f'tr[data-check="{part}"]').is_visible()
    assert page.locator("#wagtail-sidebar").get_by_text("Pages" if language == "en" else "Páginas").count()
    shot(page, f"console-staff-home-{language}")
    scroll_to(page.locator("#keryu-staff-delivery"))
    shot(page, f"console-staff-delivery-{language}")
    scroll_to(page.locator("#keryu-staff-health"))
    shot(page, f"console-staff-health-{language}")
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
    assert frame.locator('[data-preview-channel="email"]').is_visible()
    # Styled, not plain text: the preview's own styles applied inside the side panel's frame.
    radius = frame.locator(".wa .bubble").evaluate("el => getComputedStyle(el).borderTopRightRadius")
    assert radius == "8px"
    shot(page, f"console-editor-preview-{language}")
    page.context.close()
