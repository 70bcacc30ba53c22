"""Channel order (data staff edit) and the staff "send test message" action."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from ..channels import REGISTRY, ChannelError
from ..defaults import SAMPLE_CONTEXT
from ..models import Channel, ChannelSetting
from ..selectors import channel_order_forget
from .messages import message_compose, message_send

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)


def channel_settings_ensure() -> int:
    """One row per known channel, unordered (so KERYU_CHANNEL_ORDER applies until staff choose)."""
    created = 0
    for key in Channel.values:
        _, was_created = ChannelSetting.objects.get_or_create(key=key)
        created += was_created
    return created


def channel_order_set(*, keys: list[str]) -> None:
    """Make `keys` the delivery order (first = primary); every other channel is left out."""
    unknown = [k for k in keys if k not in Channel.values]
    if unknown:
        raise ValidationError(gettext("Unknown channels: %(keys)s.") % {"keys": ", ".join(unknown)})
    channel_settings_ensure()
    with transaction.atomic():
        ChannelSetting.objects.update(position=None)
        for position, key in enumerate(dict.fromkeys(keys), start=1):
            ChannelSetting.objects.filter(key=key).update(position=position)
        channel_order_forget()  # update() sends no post_save
    log.info("channel order set to %s", ",".join(keys))


@dataclass(frozen=True)
class TestSendOutcome:
    ok: bool
    message_id: int
    provider_message_id: str
    error_code: str
    action: str
    detail: str


def channel_test_send(*, channel: str, to: str, language: str = "en", user: User | None = None) -> TestSendOutcome:
    """Send the TEST text with sample data through one channel now and report what the provider said."""
    if channel not in REGISTRY:
        raise ValidationError(gettext("Unknown channel %(key)s.") % {"key": channel})
    message = message_compose(
        kind="TEST", language=language, channel=channel, to=to, context=SAMPLE_CONTEXT, owner=user
    )
    try:
        message = message_send(message=message)
    except ChannelError as exc:
        return TestSendOutcome(False, message.pk, "", exc.code or "", exc.action, str(exc))
    return TestSendOutcome(True, message.pk, message.provider_message_id or "", "", "", "accepted")
