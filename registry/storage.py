"""Private storage for subject photos: encrypted at rest, outside any public URL, under random names.

Children's faces: the files live under MEDIA_ROOT/private/ (never served by a media URL) as Fernet tokens
(the keys of KERYU_FIELD_ENCRYPTION_KEYS), so a copied disk or backup shows nothing. `url()` points at the
scoped admin view (registry.views.subject_photo), which checks the requester may see the subject, and the
finder's view goes through an active code (registry.views.public_subject_photo); both read through `open()`,
which decrypts. There are no renditions or thumbnails: the one file is the only copy.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from core.encryption import decrypt_bytes, encrypt_bytes


class PrivatePhotoStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        return reverse("registry_subject_photo", kwargs={"name": Path(name or "").name})

    # django-stubs leaves out _save/_open, the two methods Django documents for custom storages to override.
    def _save(self, name: str, content: File) -> str:
        content.seek(0)
        return super()._save(name, ContentFile(encrypt_bytes(content.read())))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File:
        with super()._open(name, "rb") as handle:  # type: ignore[misc]
            token = handle.read()
        return ContentFile(decrypt_bytes(token), name=name)


def photo_storage() -> PrivatePhotoStorage:
    return PrivatePhotoStorage(location=Path(settings.MEDIA_ROOT) / "private" / "subject-photos", base_url=None)


def photo_upload_to(instance, filename: str) -> str:
    """A random name: the upload's own name (often the child's name) is never kept."""
    ext = Path(filename).suffix.lower() or ".jpg"
    return f"{secrets.token_urlsafe(18)}{ext}"
