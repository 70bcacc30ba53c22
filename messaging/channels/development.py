"""The development channel: nothing leaves the machine; the Message row is the record, shown in the admin."""

from __future__ import annotations

import logging
import uuid

from django.utils.translation import gettext_lazy

from .base import AddressKind, Channel, Family, OutboundMessage, SendResult

log = logging.getLogger(__name__)


class DevelopmentChannel(Channel):
    key = "development"
    label = gettext_lazy("Development (recorded, not sent)")
    family = Family.DEVELOPMENT
    reports_delivery = False
    address_kind = AddressKind.ANY

    def is_configured(self) -> bool:
        return True

    def send(self, message: OutboundMessage) -> SendResult:
        provider_id = f"dev-{uuid.uuid4().hex}"
        log.info("development channel recorded message id=%s provider_id=%s", message.message_id, provider_id)
        return SendResult(provider_message_id=provider_id)
