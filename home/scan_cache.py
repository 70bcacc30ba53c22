"""The scan page a finder first sees, rendered once per code and language and kept (encrypted) in the shared cache.

A scan GET otherwise walks Wagtail's serve path, reads the code, subject and custodian and renders the form: about
6 ms of CPU against 0.5 ms for a trivial view (docs/benchmarks.md). The page depends only on the code, the
subject's shared details, the ScanPage's texts and the language, so it is served from here while none of those
changed: `scan_html_forget` runs on every write to a code or subject (signals, and the services that write with
`update()`), and the ScanPage's own invalidation (home.routing.scan_page_forget) starts a new generation. The
entry is encrypted with the field key (it can hold a child's medical conditions) and expires after CACHE_SECONDS
in any case, so a write that slipped past both shows at most that long; a report sent from a stale page is still
checked against the database when posted.

What is not cached: the rate limit (counted on every GET first, as before), anything with a query string, the
Phototaker app's variant, a page with view restrictions, and any answer other than a plain 200.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from core.encryption import decrypt_bytes, encrypt_bytes
from core.headers import harden_scan_response
from registry.models import QRCode

log = logging.getLogger(__name__)

CACHE_SECONDS = 300
GENERATION_KEY = "keryu:scan-html:generation"


@memoize
def release() -> str:
    """What the rendered page was built from beyond the data: the project's templates, the compiled catalogues and
    the static manifest (hashed asset names), read once per process. A deploy that changes any starts new keys."""
    digest = hashlib.sha256()
    files = sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
    files += sorted(p for root in settings.LOCALE_PATHS for p in Path(root).rglob("*.mo"))
    files.append(Path(settings.STATIC_ROOT) / "staticfiles.json")
    for path in files:
        digest.update(str(path).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            pass
    return digest.hexdigest()[:12]


def _key(code: uuid.UUID | str, language: str) -> str:
    return f"keryu:scan-html:{release()}:{code}:{language}"


def cacheable(request: HttpRequest) -> bool:
    """A plain first GET of the form: no query string (a ?lang= switch sets a cookie), not the Phototaker app."""
    from .views import is_phototaker

    return request.method == "GET" and not request.GET and not is_phototaker(request)


def scan_html_get(code: uuid.UUID | str) -> bytes | None:
    """The page for `code` in the active language, if rendered under the current generation."""
    key = _key(code, translation.get_language() or settings.LANGUAGE_CODE)
    found = cache.get_many([GENERATION_KEY, key])
    generation, entry = found.get(GENERATION_KEY), found.get(key)
    if generation is None or entry is None or entry[0] != generation:
        return None
    try:
        return decrypt_bytes(entry[1])
    except Exception:  # a rotated-away key or a damaged entry: render it again
        log.warning("scan page cache entry unreadable; rendering again")
        return None


def scan_html_set(code: uuid.UUID | str, content: bytes) -> None:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
        if generation is None:  # the cache is down: nothing to keep
            return
    language = translation.get_language() or settings.LANGUAGE_CODE
    cache.set(_key(code, language), (generation, encrypt_bytes(content)), CACHE_SECONDS)


def scan_html_response(content: bytes) -> HttpResponse:
    return harden_scan_response(HttpResponse(content, content_type="text/html; charset=utf-8"))


def scan_html_forget(codes: Iterable[uuid.UUID | str]) -> None:
    """Drop the pages of these codes in every language, now and when the current transaction commits (a scan in
    between may have cached the old state)."""
    keys = [_key(code, language) for code in codes for language, _ in settings.LANGUAGES]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def scan_html_forget_subject(subject_id: int | None) -> None:
    """Drop the pages of every code of a subject (its name, photo, shared details or state changed)."""
    if subject_id is None:
        return
    scan_html_forget(QRCode.objects.filter(subject_id=subject_id).values_list("uuid", flat=True))


def scan_html_new_generation() -> None:
    """Every cached page at once (the ScanPage's texts or restrictions changed)."""
    cache.delete(GENERATION_KEY)


def on_code_saved(sender: object, instance: object, raw: bool = False, **kwargs: object) -> None:
    scan_html_forget([instance.uuid])  # type: ignore[attr-defined]


def on_subject_saved(sender: object, instance: object, raw: bool = False, **kwargs: object) -> None:
    scan_html_forget_subject(instance.pk)  # type: ignore[attr-defined]


def on_subject_public_changed(sender: object, subject_id: int, **kwargs: object) -> None:
    scan_html_forget_subject(subject_id)
