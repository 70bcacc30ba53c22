"""The spec's formatting tables: phone numbers per channel, whitespace."""

from __future__ import annotations

import pytest

from messaging.formatting import (
    address_key,
    phone_for_meta_whatsapp,
    phone_for_twilio_sms,
    phone_for_twilio_whatsapp,
    template_parameter,
    text_normalise,
)


@pytest.mark.parametrize(
    ("number", "meta", "twilio_whatsapp", "twilio_sms"),
    [
        # The spec's own examples.
        ("+5212345678901", "5212345678901", "whatsapp:+5212345678901", "+5212345678901"),
        # +52 with 10 digits gets Twilio's mobile "1"; Meta only loses the "+".
        ("+525512345678", "525512345678", "whatsapp:+5215512345678", "+5215512345678"),
        ("+52 55 1234 5678", "525512345678", "whatsapp:+5215512345678", "+5215512345678"),
        # Other countries are left alone.
        ("+14155550123", "14155550123", "whatsapp:+14155550123", "+14155550123"),
        ("+34612345678", "34612345678", "whatsapp:+34612345678", "+34612345678"),
    ],
)
def test_phone_numbers_per_channel(number, meta, twilio_whatsapp, twilio_sms):
    assert phone_for_meta_whatsapp(number) == meta
    assert phone_for_twilio_whatsapp(number) == twilio_whatsapp
    assert phone_for_twilio_sms(number) == twilio_sms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello   World\nTest   Message", "Hello World Test Message"),  # the spec's example
        ("  tabs\tand\r\nCRLF  ", "tabs and CRLF"),
        ("Sofía 🚨\n\n\nParque", "Sofía 🚨 Parque"),
    ],
)
def test_whitespace_is_collapsed(text, expected):
    assert text_normalise(text) == expected


def test_template_parameters_never_carry_newlines_tabs_or_nothing():
    assert template_parameter("Parque\tMéxico\nCondesa") == "Parque México Condesa"
    assert template_parameter("   ") == "-"


def test_a_mexican_reply_matches_the_number_we_sent_to():
    assert address_key("5215512345678") == address_key("+525512345678") == address_key("whatsapp:+5215512345678")
    assert address_key("Alice@Example.com") == "alice@example.com"
