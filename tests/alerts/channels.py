"""Test-only channel adapters that call the local ProviderFake over HTTP, so a worker subprocess can use them.

Registered in a worker with KERYU_EXTRA_CHANNELS="tests.alerts.channels:FakePrimaryChannel"; the fake's
address comes from KERYU_TEST_PROVIDER_URL. Never configured outside tests.
"""

from __future__ import annotations

import os

import requests

from messaging.channels.base import Channel, ChannelError, OutboundMessage, SendResult


class FakePrimaryChannel(Channel):
    key = "fake_primary"

    def is_configured(self) -> bool:
        return bool(os.environ.get("KERYU_TEST_PROVIDER_URL"))

    def send(self, message: OutboundMessage) -> SendResult:
        base = os.environ["KERYU_TEST_PROVIDER_URL"]
        # Tell the fake we are about to send (and who we are), so a test can kill us right here.
        requests.get(f"{base}/before", params={"pid": os.getpid()}, timeout=70)
        try:
            response = requests.post(f"{base}/send", json={"message_id": message.message_id}, timeout=5)
        except requests.RequestException as exc:
            raise ChannelError(f"network: {type(exc).__name__}", permanent=False, code="network") from None
        if response.status_code >= 500:
            raise ChannelError("provider 5xx", permanent=False, code=str(response.status_code))
        if response.status_code >= 400:
            raise ChannelError("provider rejected", permanent=True, code=str(response.status_code))
        return SendResult(provider_message_id=response.json()["id"])
