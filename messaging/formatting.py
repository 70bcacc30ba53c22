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


# GSM 03.38's default alphabet and its extension table (each extension character costs two septets).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> tuple[int, str]:
    """How many SMS segments `text` costs, and its encoding: GSM-7 (160 a single message, 153 per part when
    split) unless one character needs UCS-2 (70, then 67 per part; "á", "í", "ó", "ú" and emoji do)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units
        single, part, encoding = 70, 67, "UCS-2"
    if units <= single:
        return (1 if units else 0), encoding
    return -(-units // part), encoding
