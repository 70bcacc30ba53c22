"""The channel catalogue and the one channel choice: staff's order, the recipient's preference and addresses,
what was already tried."""

from __future__ import annotations

import pytest

from messaging.channels import CATALOGUE, CHANNEL_FAMILIES, channel_address
from messaging.models import Channel
from messaging.services import channel_next, channel_order_set
from registry.models import ContactChannel

PHONE, EMAIL = "+525512345678", "carla@example.com"


def test_the_stored_channel_choices_are_the_adapters_keys_and_labels():
    assert Channel.choices == [(cls.key, cls.label) for cls in CATALOGUE]
    # The values rows hold: changing one is a data migration, not an edit here.
    assert Channel.values == ["development", "meta_whatsapp", "twilio_whatsapp", "twilio_sms", "email"]


def test_every_preference_a_person_can_choose_names_a_family_of_channels():
    assert set(ContactChannel.values) <= set(CHANNEL_FAMILIES)
    assert CHANNEL_FAMILIES[ContactChannel.WHATSAPP] == ("meta_whatsapp", "twilio_whatsapp")


def test_each_channel_sends_to_its_kind_of_address():
    assert channel_address("twilio_sms", phone=PHONE, email=EMAIL) == PHONE
    assert channel_address("email", phone=PHONE, email=EMAIL) == EMAIL
    assert channel_address("development", phone="", email=EMAIL) == EMAIL


@pytest.fixture
def four_channels(db, fake_meta, fake_twilio):
    channel_order_set(keys=["meta_whatsapp", "twilio_whatsapp", "twilio_sms", "email"])


def test_the_preferred_family_goes_first_then_staffs_order(four_channels):
    assert channel_next(preferred=None, phone=PHONE, email=EMAIL) == "meta_whatsapp"
    assert channel_next(preferred=ContactChannel.EMAIL, phone=PHONE, email=EMAIL) == "email"
    assert channel_next(preferred=ContactChannel.SMS, phone=PHONE, email=EMAIL) == "twilio_sms"


def test_channels_already_tried_are_skipped_within_the_preferred_family_first(four_channels):
    tried = {"meta_whatsapp"}
    assert channel_next(preferred=ContactChannel.WHATSAPP, phone=PHONE, email=EMAIL, tried=tried) == "twilio_whatsapp"
    tried |= {"twilio_whatsapp", "twilio_sms", "email"}
    assert channel_next(preferred=ContactChannel.WHATSAPP, phone=PHONE, email=EMAIL, tried=tried) is None


def test_a_channel_without_an_address_for_the_recipient_is_never_chosen(four_channels):
    assert channel_next(preferred=ContactChannel.EMAIL, phone=PHONE, email="") == "meta_whatsapp"
    assert channel_next(preferred=ContactChannel.WHATSAPP, phone="", email=EMAIL) == "email"
    assert channel_next(preferred=None, phone="", email="") is None
