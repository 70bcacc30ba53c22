"""QR images and the printable badge sheet.

Images are rendered on demand from the code's scan URL (about 7 ms each) rather than stored: they are a
pure function of the UUID and KERYU_PUBLIC_BASE_URL, so a stored copy could only go stale. Error
correction H (30 %) keeps a scratched or bent badge readable.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.exports import neutralise_cell

from .models import QRCode


def _qr(data: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, box_size=10, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_png(qr_code: QRCode) -> bytes:
    out = io.BytesIO()
    _qr(qr_code.scan_url).make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


def qr_svg(qr_code: QRCode) -> bytes:
    out = io.BytesIO()
    _qr(qr_code.scan_url).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return out.getvalue()


def short_code_url(qr_code: QRCode) -> str:
    """What a finder without a camera types: the site's short address and the code ("keryu.mx/c/1A2B3C4D")."""
    return f"{settings.KERYU_SHORT_URL}/c/{qr_code.short_code}"


# Badge geometry: 2 columns x 4 rows of 90 x 65 mm cards on A4, cut lines drawn.
COLS, ROWS = 2, 4
CARD_W, CARD_H = 90 * mm, 65 * mm
MARGIN_X = (A4[0] - COLS * CARD_W) / 2
MARGIN_Y = (A4[1] - ROWS * CARD_H) / 2


def badge_sheet_pdf(codes: Iterable[QRCode]) -> bytes:
    """One card per code: QR, the name the custodian chose for the badge, "If found, scan me" (es/en), and the
    ways in without a camera: the short URL with the code (typed into a browser, or the code alone on the home
    page) and, when configured, the SMS number to text the code to."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(_("Keryu badges"))
    per_page = COLS * ROWS
    for index, code in enumerate(codes):
        slot = index % per_page
        if index and slot == 0:
            pdf.showPage()
        col, row = slot % COLS, slot // COLS
        x = MARGIN_X + col * CARD_W
        y = A4[1] - MARGIN_Y - (row + 1) * CARD_H
        _card(pdf, code, x, y)
    pdf.save()  # closes the last page if it has content
    return out.getvalue()


def _fit(pdf: canvas.Canvas, text: str, font: str, size: float, max_width: float) -> None:
    """Set the largest font size <= size at which `text` fits the card's text column."""
    while size > 5 and pdf.stringWidth(text, font, size) > max_width:
        size -= 0.5
    pdf.setFont(font, size)


def _card(pdf: canvas.Canvas, code: QRCode, x: float, y: float) -> None:
    pdf.setDash(2, 2)
    pdf.setStrokeGray(0.6)
    pdf.rect(x, y, CARD_W, CARD_H)
    pdf.setDash()
    side = CARD_H - 12 * mm
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(code))), x + 4 * mm, y + 6 * mm, side, side)
    tx = x + side + 6 * mm
    width = CARD_W - (tx - x) - 3 * mm
    pdf.setFillGray(0)
    lines = [
        # Neutralised like every exported cell: text copied out of the PDF lands in spreadsheets too.
        (neutralise_cell(code.subject.badge_name), "Helvetica-Bold", 16, CARD_H - 15 * mm),
        ("Si me encuentras,", "Helvetica-Bold", 10, CARD_H - 25 * mm),
        ("escanéame", "Helvetica-Bold", 10, CARD_H - 30 * mm),
        ("If found, scan me", "Helvetica", 9, CARD_H - 37 * mm),
        # No camera? Type the address (or the code on the home page).
        (short_code_url(code), "Helvetica", 7, 17 * mm),
        (code.short_code, "Courier-Bold", 13, 11 * mm),
        # No data? Text the short code to Keryu's number (the finder gets an answer by SMS).
        (f"SMS {settings.KERYU_SMS_NUMBER}" if settings.KERYU_SMS_NUMBER else "keryu", "Helvetica", 6, 6 * mm),
    ]
    for text, font, size, dy in lines:
        _fit(pdf, text, font, size, width)
        pdf.drawString(tx, y + dy, text)
