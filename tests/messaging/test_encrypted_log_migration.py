"""The migration that encrypts the message log converts the rows already there, and lookups still find them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from messaging.formatting import address_hash
from messaging.models import FlaggedAddress, InboundMessage, Message
from messaging.selectors import message_for_reply

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("messaging", "0006_update_and_inactive_scan_kinds")]


def test_existing_messages_are_encrypted_and_still_matched_by_address(alice):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    sent = old.get_model("messaging", "Message").objects.create(
        owner_id=alice.pk,
        to="+525512345678",
        address_key="525512345678",
        channel="meta_whatsapp",
        content="Finder: Ana +525599990000",
        provider_template={"name": "qr_template_on_m", "parameters": ["Sofía", "18:30"]},
        provider_message_id="wamid.OLD",
    )
    old.get_model("messaging", "InboundMessage").objects.create(
        channel="meta_whatsapp",
        from_address="5215512345678",
        address_key="525512345678",
        body="Voy",
        provider_message_id="wamid.IN",
    )
    old.get_model("messaging", "FlaggedAddress").objects.create(
        channel="twilio_sms", address_key="525512345678", code="30003"
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # every app: a rollback may have taken dependants down

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM messaging_message")
        raw = " ".join(str(v) for row in cursor.fetchall() for v in row)
        cursor.execute("SELECT from_address, body, address_hash FROM messaging_inboundmessage")
        raw += " ".join(str(v) for row in cursor.fetchall() for v in row)
        cursor.execute("SELECT address_hash FROM messaging_flaggedaddress")
        raw += " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert "5512345678" not in raw and "Ana" not in raw and "Sofía" not in raw and "Voy" not in raw
    message = Message.objects.get(pk=sent.pk)
    assert (message.to, message.content) == ("+525512345678", "Finder: Ana +525599990000")
    assert message.provider_template["parameters"] == ["Sofía", "18:30"]
    assert InboundMessage.objects.get().from_address == "5215512345678"
    # Replies without context still find the message they answer, through the keyed hash.
    assert message_for_reply(channel_family=("meta_whatsapp",), address_hash=address_hash("+5215512345678")) == message
    assert FlaggedAddress.objects.get().address_hash == address_hash("+525512345678")
