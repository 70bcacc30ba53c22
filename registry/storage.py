"""Private storage for subject photos: outside any public URL, under random names.

The files live under MEDIA_ROOT/private/ (never served by a media URL); `url()` points at the scoped admin
view (registry.views.subject_photo), which checks the requester may see the subject before sending bytes.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.urls import reverse


class PrivatePhotoStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        return reverse("registry_subject_photo", kwargs={"name": Path(name or "").name})


def photo_storage() -> PrivatePhotoStorage:
    return PrivatePhotoStorage(location=Path(settings.MEDIA_ROOT) / "private" / "subject-photos", base_url=None)


def photo_upload_to(instance, filename: str) -> str:
    """A random name: the upload's own name (often the child's name) is never kept."""
    ext = Path(filename).suffix.lower() or ".jpg"
    return f"{secrets.token_urlsafe(18)}{ext}"
