"""Bob never reaches Alice's messages or replies through any Wagtail admin view; staff reach them."""

from __future__ import annotations

import pytest

from messaging.models import InboundMessage, Message
from messaging.services import message_compose

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_records(alice):
    message = message_compose(
        kind="LOST",
        language="es",
        channel="development",
        to="+525512345678",
        context={"subject_name": "Sofía"},
        owner=alice,
        recipient_name="Alice",
    )
    reply = InboundMessage.objects.create(
        channel="meta_whatsapp",
        from_address="5215512345678",
        address_hash="525512345678",
        body="Voy",
        provider_message_id="wamid.R1",
        in_reply_to=message,
        owner=alice,
    )
    return message, reply


def _urls(message: Message, reply: InboundMessage) -> list[str]:
    return [
        f"/admin/snippets/messaging/message/inspect/{message.pk}/",
        f"/admin/snippets/messaging/message/history/{message.pk}/",
        f"/admin/snippets/messaging/message/edit/{message.pk}/",
        f"/admin/snippets/messaging/inboundmessage/inspect/{reply.pk}/",
        f"/admin/snippets/messaging/inboundmessage/edit/{reply.pk}/",
    ]


def test_bob_gets_404_on_every_view_of_alices_messages(client, bob, alices_records):
    client.force_login(bob)
    for url in _urls(*alices_records):
        assert client.get(url).status_code == 404, url
    listing = client.get("/admin/snippets/messaging/message/").content.decode()
    assert "Alice" not in listing


def test_alice_and_staff_reach_the_inspect_views(client, alice, staff, alices_records):
    message, reply = alices_records
    for user in (alice, staff):
        client.force_login(user)
        assert client.get(f"/admin/snippets/messaging/message/inspect/{message.pk}/").status_code == 200
    assert client.get(f"/admin/snippets/messaging/inboundmessage/inspect/{reply.pk}/").status_code == 200
