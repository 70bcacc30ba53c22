"""The custodian's guide and the operations guide, walked in Chromium: every step asserted, every screen saved.

Images go to var/screenshots/docs/ on every run; with KERYU_DOCS_SCREENSHOTS=1 they go to docs/images/
instead (the ones the guides show), palette-compressed so the repository stays small. Names are fixed, so
a regenerated set replaces the old one file by file.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import expect

from accounts.models import SecurityEvent
from alerts.models import Alarm, NotificationStatus
from alerts.services import attempt_deliver
from home.management.commands.seed_demo import demo_photo
from messaging.formatting import address_hash
from messaging.models import Message
from registry.models import EmergencyContact, QRCode, Subject
from registry.services import qr_code_activate, subject_photo_set

from ..factories import SubjectFactory
from .conftest import SCREENSHOTS, login_browser

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "amber-canyon-pelican-17"
PHONE = (390, 844)  # the guides' phone screens
DESKTOP = (1280, 800)  # the guides' console screens


def images_dir() -> Path:
    """docs/images/ only when asked for, so an ordinary test run never rewrites the committed images."""
    if os.environ.get("KERYU_DOCS_SCREENSHOTS") == "1":
        return ROOT / "docs" / "images"
    return SCREENSHOTS / "docs"


def shot(page, name: str, *, full_page: bool = False) -> Path:
    """One screen as a small PNG: a 256-colour palette is plenty for these flat UI colours."""
    directory = images_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    raw = page.screenshot(full_page=full_page, animations="disabled", caret="hide")
    image = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, format="PNG", optimize=True)
    return path


def new_page(browser, size: tuple[int, int], **options):
    width, height = size
    mobile = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile, locale="en-US", **options
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def scroll_to(locator, offset: int = 80) -> None:
    """Bring a section to the top of the screen. The Wagtail admin scrolls its <main>, not the window."""
    locator.first.evaluate(
        """(el, offset) => {
            const box = el.closest('main') || document.scrollingElement;
            box.scrollTo({top: box.scrollTop + el.getBoundingClientRect().top - box.getBoundingClientRect().top - offset, behavior: "instant"});
        }""",
        offset,
    )


def deliver_due(alarm: Alarm) -> int:
    """Run what the worker runs for every attempt that is due now (the tests have no worker process)."""
    due = alarm.attempts.filter(status=NotificationStatus.PENDING, not_before__isnull=True)
    delivered = 0
    for pk in list(due.values_list("pk", flat=True)):
        delivered += attempt_deliver(attempt_id=pk) is not None
    return delivered


def guide_cast(alice: User) -> None:
    """Alice as the guides show her: full name, English messages."""
    User.objects.filter(pk=alice.pk).update(last_name="Arroyo", email="alice@example.com")
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")
    alice.refresh_from_db()


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("button[type=submit]").first.click()


# --- 1. Sign up, verify, second factor ------------------------------------------------------------------


def test_guide_sign_up_verify_and_second_factor(browser, live_server, mailoutbox):
    base = live_server.url
    phone = new_page(browser, PHONE)
    phone.goto(f"{base}/accounts/signup/")
    phone.get_by_label("First name").fill("Carla")
    phone.get_by_label("Last name").fill("Campos")
    phone.get_by_label("Email").fill("carla@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_label("Phone").fill("55 1234 5678")
    phone.get_by_label("Language").select_option("en")
    shot(phone, "signup-form", full_page=True)
    phone.get_by_role("button", name="Create account").click()

    phone.wait_for_url("**/accounts/signup/phone/")
    expect(phone.get_by_text("ending in 5678")).to_be_visible()
    assert not phone.get_by_text("1234").count()  # only the last four digits are shown
    sms = Message.objects.get(address_hash=address_hash("+525512345678"), kind="VERIFICATION_CODE")
    code = re.search(r"\b(\d{6})\b", sms.content).group(1)
    phone.get_by_label("Code").fill(code)
    shot(phone, "signup-phone-code")
    phone.get_by_role("button", name="Verify phone").click()
    phone.wait_for_url("**/accounts/signup/done/")
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    shot(phone, "signup-check-email")

    link = re.search(r"(http://\S+/accounts/verify-email/\S+/)", mailoutbox[-1].body).group(1)
    phone.goto(link.replace("http://testserver", base))
    phone.get_by_role("button", name="Verify my email").click()
    phone.get_by_role("heading", name="Your email is verified").wait_for()
    assert User.objects.get(email="carla@example.com").is_active
    phone.context.close()

    page = new_page(browser, DESKTOP)
    sign_in(page, base, "carla@example.com", PASSWORD)
    page.wait_for_url("**/accounts/mfa/enrol/**")
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    shot(page, "mfa-enrol")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.get_by_label("Code").fill(f"{TOTP(base64.b32decode(secret)).token():06d}")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/mfa/backup-codes/**")
    codes = [c.strip() for c in page.locator(".codes li").all_inner_texts()]
    assert len(codes) == 10
    shot(page, "mfa-backup-codes")
    page.get_by_role("link", name="I saved them, continue").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.get_by_role("heading", name="People in your care")).to_be_visible()
    shot(page, "dashboard-empty")

    # Signing in again: password, then a code (here a backup code, which then stops working).
    page.context.clear_cookies()
    sign_in(page, base, "carla@example.com", PASSWORD)
    page.wait_for_url("**/accounts/mfa/verify/**")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(codes[0])
    shot(page, "mfa-verify")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/admin/")
    assert TOTPDevice.objects.filter(user__email="carla@example.com", confirmed=True).count() == 1
    page.context.close()


# --- 2. A person, their code, the badge, the test button ----------------------------------------------


def test_guide_register_a_person_print_the_badge_and_test(browser, live_server, alice):
    base = live_server.url
    guide_cast(alice)
    page = new_page(browser, DESKTOP)
    login_browser(page, base, alice)

    page.goto(f"{base}/admin/snippets/registry/subject/add/")
    page.fill("input[name=name]", "Sofía Arroyo")
    # Set the date without focusing the field: its pop-up calendar would cover the screenshots.
    page.locator("input[name=date_of_birth]").evaluate("el => { el.value = '2017-04-02'; }")
    page.select_option("select[name=gender]", "F")
    page.set_input_files(
        "input[name=photo_upload]",
        {"name": "sofia.jpg", "mimeType": "image/jpeg", "buffer": demo_photo("Sofía Arroyo", 0).read()},
    )
    page.fill("textarea[name=medical_conditions]", "Type 1 diabetes")
    page.fill("textarea[name=allergies]", "Penicillin")
    page.fill("textarea[name=medications]", "Insulin (pump)")
    shot(page, "subject-add-person")
    page.fill("input[name=doctor_name]", "Dra. Imelda Quiroz")
    page.fill("input[name=doctor_phone]", "+52 55 5200 1122")
    page.fill("input[name=doctor_speciality]", "Pediatric endocrinology")
    scroll_to(page.get_by_role("heading", name="Medical (encrypted)"))
    shot(page, "subject-add-medical")
    page.get_by_role("button", name="Add contact").click()
    page.fill("input[name=contacts-0-name]", "Carmen Arroyo")
    page.fill("input[name=contacts-0-relation]", "Grandmother")
    page.fill("input[name=contacts-0-phone_number]", "+52 55 1111 2222")
    page.select_option("select[name=contacts-0-preferred_channel]", "whatsapp")
    page.select_option("select[name=contacts-0-language]", "es")
    scroll_to(page.get_by_role("heading", name="Emergency contacts"))
    shot(page, "subject-add-contacts")
    page.check("input[name=share_photo]")
    page.check("input[name=share_allergies]")
    page.check("input[name=share_conditions]")
    page.fill("input[name=public_message]", "Sofía has diabetes: if she seems confused, offer her juice. Thank you!")
    scroll_to(page.get_by_role("heading", name="What a finder sees"))
    shot(page, "subject-add-finder-sees")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_url("**/admin/snippets/registry/subject/")
    subject = Subject.objects.get(name="Sofía Arroyo")
    assert subject.custodian == alice.custodian and subject.medical_conditions == "Type 1 diabetes"
    assert subject.date_of_birth.isoformat() == "2017-04-02" and subject.doctor_name == "Dra. Imelda Quiroz"
    assert subject.photo and subject.share_photo and subject.contacts.get().name == "Carmen Arroyo"

    page.goto(f"{base}/admin/snippets/registry/subject/inspect/{subject.pk}/")
    expect(page.get_by_role("img", name="Photo of Sofía")).to_be_visible()
    shot(page, "subject-inspect")
    page.locator("[data-keryu-generate]").click()
    page.wait_for_url("**/admin/snippets/registry/qrcode/inspect/*/")
    code = QRCode.objects.get(subject=subject)
    assert code.is_active
    expect(page.get_by_text(code.short_code).first).to_be_visible()
    shot(page, "qr-inspect")

    with page.expect_download() as info:
        page.locator("[data-keryu-badge]").click()
    pdf = SCREENSHOTS / "docs-badge.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    info.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    badge_png(pdf)

    page.get_by_role("button", name="Send a test alarm").click()
    page.wait_for_url("**/admin/snippets/alerts/alarm/inspect/*/")
    expect(page.get_by_text("Test alarm sent to you")).to_be_visible()
    alarm = Alarm.objects.get(is_test=True)
    assert deliver_due(alarm) == 1  # what the worker does within a second or two
    message = Message.objects.get(kind="TEST")
    assert message.to == str(alice.custodian.phone_number) and message.status == "sent"
    page.reload()
    expect(page.get_by_text("TEST ALARM (no action needed)")).to_be_visible()
    scroll_to(page.get_by_role("heading", name="Timeline"))
    shot(page, "test-alarm")
    page.context.close()


def badge_png(pdf: Path) -> Path | None:
    """The first card of the badge sheet as an image (pdftoppm renders the page; we crop one card)."""
    if not shutil.which("pdftoppm"):
        return None
    prefix = SCREENSHOTS / "docs-badge"
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True)
    rendered = next(SCREENSHOTS.glob("docs-badge*.png"))
    with Image.open(rendered) as sheet:
        # A4 at 100 dpi is 827 x 1169; the 2 x 4 grid of 90 x 65 mm cards starts at the centred margins.
        mm = 100 / 25.4
        left, top = (sheet.width - 180 * mm) / 2, (sheet.height - 260 * mm) / 2
        card = sheet.crop((int(left) - 4, int(top) - 4, int(left + 90 * mm) + 5, int(top + 65 * mm) + 5))
        path = images_dir() / "badge-card.png"
        card.convert("L").save(path, format="PNG", optimize=True)
    rendered.unlink()
    return path


# --- 3. Someone scans; the custodian acknowledges and leaves a note; the alarm is resolved ------------


def sofia(alice: User) -> QRCode:
    """Alice's Sofía as the guides show her: photo, first-aid details shared, a message, a contact, a code."""
    subject = SubjectFactory(
        custodian=alice.custodian,
        name="Sofía Arroyo",
        date_of_birth="2017-04-02",
        medical_conditions="Type 1 diabetes",
        allergies="Penicillin",
        share_photo=True,
        share_allergies=True,
        share_conditions=True,
        public_message="Sofía has diabetes: if she seems confused, offer her juice. Thank you!",
    )
    subject_photo_set(subject=subject, upload=demo_photo(subject.name, 0))
    EmergencyContact.objects.create(
        subject=subject, name="Carmen Arroyo", relation="Grandmother", phone_number="+525511112222"
    )
    return qr_code_activate(qr_code=QRCode.objects.create(subject=subject))


def test_guide_scan_acknowledge_note_and_resolve(browser, live_server, alice):
    base = live_server.url
    guide_cast(alice)
    code = sofia(alice)

    finder = new_page(browser, PHONE)
    finder.goto(f"{base}/scan/{code.uuid}/")
    expect(finder.get_by_role("heading", name="You found Sofía")).to_be_visible()
    expect(finder.get_by_role("img", name="Sofía")).to_be_visible()
    expect(finder.get_by_text("Penicillin")).to_be_visible()
    assert not finder.get_by_text("Arroyo").count()  # the first name only: never the surname
    shot(finder, "scan-form")
    finder.get_by_label("Lost: cannot find their family").check()
    finder.get_by_label("Where are you?").fill("Parque México, by the fountain")
    finder.get_by_label("Details").fill("She is calm, sitting with me on a bench.")
    finder.get_by_role("button", name="Notify the family").click()
    finder.wait_for_url("**/sent/**")
    expect(finder.get_by_text("The family is being notified now")).to_be_visible()
    shot(finder, "scan-sent")

    alarm = Alarm.objects.get()
    assert deliver_due(alarm) == 1  # Alice at once; her contact Carmen is scheduled 5 minutes later
    later = alarm.attempts.get(recipient_kind="contact")
    assert later.status == NotificationStatus.PENDING and later.not_before is not None
    message = Message.objects.get(kind="LOST")
    link = re.search(r"(http://testserver/alerts/ack/\S+/)", message.content).group(1)

    custodian = new_page(browser, PHONE)
    custodian.goto(link.replace("http://testserver", base))
    expect(custodian.get_by_role("heading", name="Subject lost: Sofía")).to_be_visible()
    custodian.get_by_label("A short note for the person who found them").fill(
        "Thank you! I am on my way, 10 minutes. Please stay there."
    )
    shot(custodian, "ack-page")
    custodian.get_by_role("button", name="I have seen this: acknowledge").click()
    custodian.get_by_text("Acknowledged. The finder can see that the family knows.").wait_for()
    alarm.refresh_from_db()
    assert alarm.acknowledged_at and alarm.acknowledged_via == "link" and alarm.acknowledged_by == "Alice Arroyo"
    later.refresh_from_db()
    assert later.status == NotificationStatus.CANCELLED  # acknowledged in time: Carmen is not disturbed
    custodian.context.close()

    finder.locator('[data-step="acknowledged"].done').wait_for()  # the finder's page polls and updates itself
    expect(finder.get_by_text("Thank you! I am on my way")).to_be_visible()
    shot(finder, "scan-acknowledged")
    finder.context.close()

    page = new_page(browser, DESKTOP)
    login_browser(page, base, alice)
    page.goto(f"{base}/admin/snippets/alerts/alarm/")
    page.get_by_role("button", name="Actions").click()  # the header's menu: exports and statistics
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    shot(page, "alarms-list")
    page.goto(f"{base}/admin/snippets/alerts/alarm/inspect/{alarm.pk}/")
    expect(page.get_by_text("Acknowledged by Alice Arroyo (the message's link)")).to_be_visible()
    scroll_to(page.get_by_role("heading", name="Timeline"))
    shot(page, "alarm-timeline")
    page.get_by_role("link", name="Resolve").click()
    page.locator("textarea[name=resolution_notes]").fill("Picked Sofía up at the park. All well.")
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Alarm resolved.")).to_be_visible()
    alarm.refresh_from_db()
    assert alarm.resolved_at and alarm.resolution_notes == "Picked Sofía up at the park. All well."
    page.context.close()


# --- 4. Notification preferences; a lost badge -----------------------------------------------------------


def test_guide_preferences_and_a_lost_badge(browser, live_server, alice):
    base = live_server.url
    guide_cast(alice)
    code = sofia(alice)
    page = new_page(browser, DESKTOP)
    login_browser(page, base, alice)

    page.goto(f"{base}/admin/profile/")
    page.select_option("select[name=preferred_channel]", "sms")
    page.select_option("select[name=language]", "en")
    shot(page, "profile")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    alice.custodian.refresh_from_db()
    assert alice.custodian.preferred_channel == "sms"

    # The badge is lost: switch its code off, then give Sofía a new one.
    page.goto(f"{base}/admin/snippets/registry/qrcode/")
    with page.expect_navigation():
        page.locator(f'[data-keryu-toggle="{code.short_code}"]').click()
    with page.expect_navigation():  # switching off asks first
        page.locator("[data-keryu-confirm-deactivate]").click()
    code.refresh_from_db()
    assert not code.is_active
    expect(page.get_by_text(f"Code {code.short_code} is off")).to_be_visible()
    shot(page, "qr-deactivated")
    finder = new_page(browser, PHONE)
    response = finder.goto(f"{base}/scan/{code.uuid}/")
    assert response.status == 404  # the old badge no longer raises alarms (and looks like an unknown code)
    finder.context.close()

    page.goto(f"{base}/admin/snippets/registry/subject/inspect/{code.subject_id}/")
    page.locator("[data-keryu-generate]").click()
    page.wait_for_url("**/admin/snippets/registry/qrcode/inspect/*/")
    new = QRCode.objects.exclude(pk=code.pk).get(subject_id=code.subject_id)
    assert new.is_active and page.get_by_text(f"Code {new.short_code} created and activated.").is_visible()
    page.context.close()


# --- 5. Operations: an MFA reset, delivery channels, periodic tasks, escalation, templates ---------------


def test_guide_operations_console(browser, live_server, staff, editor, alice):
    base = live_server.url
    guide_cast(alice)
    User.objects.filter(pk=staff.pk).update(first_name="Sam", last_name="Staff")
    User.objects.filter(pk=editor.pk).update(first_name="Eve", last_name="Editor")
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    page = new_page(browser, DESKTOP)
    login_browser(page, base, staff)

    page.goto(f"{base}/ops/accounts/usermfa/?q=alice")
    row = page.locator("tr", has_text="alice@example.com")
    row.locator("input[type=checkbox]").check()
    page.select_option("select[name=action]", "reset_devices")
    shot(page, "ops-mfa-reset")
    with page.expect_navigation():
        page.get_by_title("Run the selected action").click()
    expect(page.get_by_text("MFA devices reset for 1 user.")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert SecurityEvent.objects.get(kind="mfa_reset", user=alice).actor == staff

    page.goto(f"{base}/ops/messaging/channelsetting/")
    expect(page.get_by_text("Development (recorded, not sent)").first).to_be_visible()
    shot(page, "ops-channels")
    page.goto(f"{base}/ops/django_celery_beat/periodictask/")
    expect(page.get_by_text("Alerts: sweep the outbox")).to_be_visible()
    shot(page, "ops-periodic-tasks")
    page.goto(f"{base}/admin/snippets/alerts/escalationpolicy/")
    expect(page.get_by_text("Subject lost").first).to_be_visible()
    shot(page, "escalation-policies")
    page.context.close()

    page = new_page(browser, DESKTOP)
    login_browser(page, base, editor)
    page.goto(f"{base}/admin/snippets/messaging/messagetemplate/")
    expect(page.get_by_text("Lost (es)")).to_be_visible()
    shot(page, "templates")
    page.goto(f"{base}/ops/")
    assert page.url.startswith(f"{base}/ops/login/")  # editors have no /ops/ console: sent to its sign-in
    page.context.close()
