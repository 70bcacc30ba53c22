"""QR images, the badge sheet, and activation: one active code per subject, even under concurrency."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading

import pytest
import qrcode
import zxingcpp
from django.db import connection, connections
from PIL import Image

from registry.badges import badge_sheet_pdf, qr_png, qr_svg
from registry.models import QRCode
from registry.services import qr_code_activate, qr_code_create, qr_code_deactivate
from tests.factories import SubjectFactory


def _decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.mark.django_db
def test_png_decodes_to_the_absolute_scan_url_with_high_error_correction(settings):
    settings.KERYU_PUBLIC_BASE_URL = "https://keryu.example"
    code = qr_code_create(subject=SubjectFactory())
    image = Image.open(io.BytesIO(qr_png(code)))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [f"https://keryu.example/scan/{code.uuid}/"]
    assert results[0].ec_level == "H"


@pytest.mark.django_db
def test_png_still_decodes_with_a_scratch_across_it():
    # A fixed UUID: whether a given scratch hits the alignment pattern depends on the data, and a test
    # must not pass or fail by chance.
    code = QRCode.objects.create(subject=SubjectFactory(), uuid="3f2a9c4e-1b7d-4e8a-9c5f-0d6b2a7e8f14")
    image = Image.open(io.BytesIO(qr_png(code))).convert("RGB")
    w, h = image.size
    # A worn badge: a white band across the left-middle of the symbol, clear of the finder patterns.
    image.paste((255, 255, 255), (int(w * 0.12), int(h * 0.45), int(w * 0.5), int(h * 0.53)))
    assert _decode(image) == [code.scan_url]
    # Without error correction H this much damage would not be recoverable at all (sanity: L fails).
    low = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, box_size=10, border=4)
    low.add_data(code.scan_url)
    damaged = low.make_image().convert("RGB")
    lw, lh = damaged.size
    damaged.paste((255, 255, 255), (int(lw * 0.12), int(lh * 0.45), int(lw * 0.5), int(lh * 0.53)))
    assert _decode(damaged) == []


@pytest.mark.django_db
def test_svg_is_a_vector_image_of_the_same_code():
    code = qr_code_create(subject=SubjectFactory())
    svg = qr_svg(code).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<path" in svg


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_badge_sheet_prints_every_selected_code_readably(tmp_path):
    codes = [qr_code_create(subject=SubjectFactory(name=f"Niño{i} Pérez")) for i in range(3)]
    (tmp_path / "sheet.pdf").write_bytes(badge_sheet_pdf(codes))
    subprocess.run(["pdftoppm", "-r", "110", "-png", str(tmp_path / "sheet.pdf"), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p*.png"))
    assert len(pages) == 1
    decoded = sorted(_decode(Image.open(pages[0])))
    assert decoded == sorted(c.scan_url for c in codes)
    text = subprocess.run(["pdftotext", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True).stdout
    assert "If found, scan me" in text and "escanéame" in text
    assert all(c.short_code in text for c in codes) and "Niño1" in text


@pytest.mark.django_db
def test_nine_codes_take_two_pages():
    codes = [qr_code_create(subject=SubjectFactory()) for _ in range(9)]
    # reportlab writes one "/Type /Page" object per page (besides the one "/Type /Pages" tree).
    assert len(re.findall(rb"/Type /Page[^s]", badge_sheet_pdf(codes))) == 2


@pytest.mark.django_db
def test_activation_switches_the_subjects_other_codes_off():
    subject = SubjectFactory()
    first = qr_code_create(subject=subject, activate=True)
    second = qr_code_create(subject=subject, activate=True)
    first.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert second.activated_at is not None
    qr_code_deactivate(qr_code=second)
    assert not QRCode.objects.filter(subject=subject, is_active=True).exists()


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_code():
    from django.db import IntegrityError, transaction

    subject = SubjectFactory()
    qr_code_create(subject=subject, activate=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        QRCode.objects.create(subject=subject, is_active=True)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_activations_leave_exactly_one_active():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is under test: PostgreSQL only")
    subject = SubjectFactory()
    codes = [qr_code_create(subject=subject) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def activate(code: QRCode) -> None:
        try:
            barrier.wait(timeout=10)
            qr_code_activate(qr_code=QRCode.objects.get(pk=code.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    for _ in range(5):  # several rounds: the race window is small
        threads = [threading.Thread(target=activate, args=(c,)) for c in codes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert QRCode.objects.filter(subject=subject, is_active=True).count() == 1
