"""Mexican phone input the spec's ways, to E.164."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError

INVALID = "Enter a Mexican mobile number: 10 digits, or 52 / 521 followed by the 10 digits."


def mexican_phone_to_e164(raw: str) -> str:
    """10 digits -> +52; 12 digits starting 52; 13 digits starting 521 (the old mobile prefix, dropped)."""
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 10:
        national = digits
    elif len(digits) == 12 and digits.startswith("52"):
        national = digits[2:]
    elif len(digits) == 13 and digits.startswith("521"):
        national = digits[3:]
    else:
        raise ValidationError(INVALID, code="invalid_phone")
    parsed = phonenumbers.parse("+52" + national)
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(INVALID, code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
