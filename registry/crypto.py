"""Keyed hashing of phone numbers: look a number up (duplicates) without storing it in the clear.

An HMAC with its own key (KERYU_PHONE_HASH_KEY), never a plain hash: a plain SHA-256 of a 12-digit
phone number is reversed by brute force in minutes.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def phone_hash(e164: str) -> str:
    if not e164:
        return ""
    return hmac.new(settings.KERYU_PHONE_HASH_KEY.encode(), e164.encode(), hashlib.sha256).hexdigest()
