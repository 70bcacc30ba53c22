"""A doctor opens the link in their alarm message on a phone: the medical essentials the family allowed, the
photo, and after the family resolves the alarm, a closed page. In Spanish and in English."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import NotificationAttempt, RecipientKind
from alerts.services import ack_token
from registry.services import subject_photo_set

from ..factories import AlarmFactory
from ..registry.conftest import png_bytes
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def doctor_link(alice_code) -> tuple[str, object]:
    subject = alice_code.subject
    subject.medications = "Insulin glargine 10 U"
    subject.doctor_name, subject.doctor_phone = "Dr. Ruiz", "+525511112222"
    subject.doctor_sees_conditions = subject.doctor_sees_medications = subject.doctor_sees_photo = True
    subject.save()
    subject_photo_set(subject=subject, upload=SimpleUploadedFile("s.png", png_bytes((240, 180)), "image/png"))
    alarm = AlarmFactory(qr_code=alice_code, situation_type="INJURED", description="Fell off the swing")
    attempt = NotificationAttempt.objects.create(
        alarm=alarm, recipient_kind=RecipientKind.DOCTOR, recipient_key=f"doctor:{subject.pk}", channel="development"
    )
    return f"/alerts/ack/{ack_token(attempt)}/", alarm


@pytest.mark.parametrize(
    ("locale", "heading", "closed"),
    [
        ("es-MX", "Para el médico: lo que la familia comparte contigo", "Esta alarma está cerrada"),
        ("en-US", "For the doctor: what the family shares with you", "This alarm is closed"),
    ],
)
def test_the_doctor_sees_the_allowed_essentials_then_a_closed_page(
    live_server, browser, doctor_link, locale, heading, closed
):
    link, alarm = doctor_link
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale=locale)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{link}")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        assert (
            page.get_by_text("Type 1 diabetes").is_visible() and page.get_by_text("Insulin glargine 10 U").is_visible()
        )
        assert page.get_by_text("Penicillin").count() == 0  # allergies were not ticked for the doctor
        photo = page.locator("img.responder-photo")
        assert photo.evaluate("img => img.complete && img.naturalWidth") == 240  # loaded under the page's CSP
        screenshot(page, f"doctor-view-{locale[:2]}")

        type(alarm).objects.filter(pk=alarm.pk).update(resolved_at=timezone.now())
        page.reload()
        expect(page.get_by_role("heading", name=closed)).to_be_visible()
        assert page.get_by_text("Type 1 diabetes").count() == 0 and page.locator("img").count() == 0
        screenshot(page, f"doctor-view-closed-{locale[:2]}")
    finally:
        context.close()
