"""Photo validation and sanitising: content-checked, size-limited, re-encoded without metadata.

The file's bytes decide its type (Pillow), not its name or declared content type; the image is decoded
and written anew, so EXIF (GPS position, camera serial) and any trailing payload are dropped.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}


def photo_clean(upload) -> SimpleUploadedFile:
    """Return a re-encoded copy of `upload` or raise ValidationError with a message the user can act on."""
    max_bytes, max_side = settings.KERYU_PHOTO_MAX_BYTES, settings.KERYU_PHOTO_MAX_SIDE
    if upload.size > max_bytes:
        raise ValidationError(
            _("The photo is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}, code="too_big"
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            # Size is checked from the header, before decoding: a decompression bomb never gets decoded.
            if fmt not in ALLOWED:
                raise ValidationError(_("Upload a JPEG, PNG or WebP photo."), code="bad_type")
            if width > max_side or height > max_side:
                raise ValidationError(
                    _("The photo must be at most %(side)d x %(side)d pixels.") % {"side": max_side}, code="too_large"
                )
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened)  # keep the visible orientation, drop the tag itself
            if image.mode not in ("RGB", "RGBA", "L"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            if fmt == "JPEG" and image.mode == "RGBA":
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format=fmt, **({"quality": 88} if fmt in ("JPEG", "WEBP") else {}))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValidationError(_("Upload a JPEG, PNG or WebP photo."), code="bad_type") from exc
    ext, content_type = ALLOWED[fmt]
    return SimpleUploadedFile(f"photo.{ext}", out.getvalue(), content_type=content_type)
