"""Phone input to E.164: any country's number; a number without its country code is read in the site's region
(PHONENUMBER_DEFAULT_REGION, e.g. "MX": 10 digits). Mexico's old mobile prefix (+52 1 …) is still accepted."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID = _("Enter a valid phone number, with its country code (for example +1 or +34) if it is from another country.")


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None


def phone_to_e164(raw: str, *, region: str | None = None) -> str:
    """`raw` as E.164, or ValidationError. Read as typed: with "+" or "00" and a country code, any country's;
    without, the default region's. Then a Mexican number with the mobile "1" Mexico dropped in 2019 (+52 1 55 …).
    A foreign number without its "+" is refused rather than guessed (44 55… could be a mistyped local number)."""
    region = region or settings.PHONENUMBER_DEFAULT_REGION
    text = (raw or "").strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        raise ValidationError(INVALID, code="invalid_phone")
    candidates = [text]
    if digits.startswith("521") and len(digits) == 13:
        candidates.append("+52" + digits[3:])
    for candidate in candidates:
        parsed = _parse(candidate, region)
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise ValidationError(INVALID, code="invalid_phone")
