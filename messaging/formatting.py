"""Per-channel address and text formats (spec: messaging-channels.md, "Phone Number Formatting").

Meta wants the number without '+'; Twilio wants E.164 and, for WhatsApp, the `whatsapp:` prefix. Mexican
mobile numbers written `+52` + 10 digits get the `1` Twilio expects (`+521` + 10 digits).
"""

from __future__ import annotations

import re

from core.encryption import keyed_hash

_NON_DIGITS = re.compile(r"\D")


def phone_e164(number: str) -> str:
    """'+52 55 1234 5678' -> '+525512345678'. Keeps only digits after one leading '+'."""
    digits = _NON_DIGITS.sub("", number or "")
    return f"+{digits}" if digits else ""


def phone_mexico_mobile(number: str) -> str:
    """Twilio's Mexican rule: '+52' followed by exactly 10 digits becomes '+521' + those digits."""
    e164 = phone_e164(number)
    if e164.startswith("+52") and len(e164) == 13:
        return "+521" + e164[3:]
    return e164


def phone_for_meta_whatsapp(number: str) -> str:
    return phone_e164(number).lstrip("+")


def phone_for_twilio_sms(number: str) -> str:
    return phone_mexico_mobile(number)


def phone_for_twilio_whatsapp(number: str) -> str:
    return "whatsapp:" + phone_mexico_mobile(number)


def address_key(address: str) -> str:
    """A comparable form of an address, so an inbound reply finds the message it answers.

    Emails lower-cased; phones as digits with Mexico's optional mobile '1' dropped ('521...' == '52...'),
    because Meta reports Mexican senders as '521...' while we may have sent to '+52...'.
    """
    address = (address or "").strip()
    if address.startswith("whatsapp:"):
        address = address[len("whatsapp:") :]
    if "@" in address:
        return address.lower()
    digits = _NON_DIGITS.sub("", address)
    if digits.startswith("521") and len(digits) == 13:
        digits = "52" + digits[3:]
    return digits


def address_hash(address: str) -> str:
    """What the message log stores to find an address again: a keyed hash of its comparable form."""
    return keyed_hash(address_key(address))


def text_normalise(text: str) -> str:
    """Collapse every run of whitespace (newlines and tabs included) to one space: the spec's rule."""
    return " ".join((text or "").split())


def text_normalise_lines(text: str) -> str:
    """For email bodies: collapse spaces inside each line but keep the paragraph breaks readers need."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def template_parameter(value: object) -> str:
    """A WhatsApp template parameter: never newlines or tabs (Meta rejects them), never empty."""
    return text_normalise(str(value)) or "-"
