"""A finder's report as a client sees it: the scan form's answer names the alarm in a signed link."""

from __future__ import annotations

import base64
import re

from django.core import signing

from home.views import PROGRESS_SALT

SENT_PATH = re.compile(r"/scan/([0-9a-f-]{36})/sent/([\w-]+)/$")


def alarm_from_location(location: str, code: str) -> int | None:
    """The alarm a confirmation redirect names (the signed token the finder's browser keeps)."""
    match = SENT_PATH.search(location or "")
    if not match or match.group(1) != code:
        return None
    token = match.group(2)
    try:
        signed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        data = signing.loads(signed, salt=PROGRESS_SALT)
    except (signing.BadSignature, ValueError):
        return None
    return int(data["a"]) if data.get("c") == code else None
