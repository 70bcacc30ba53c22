"""What the message log forgets: quoted personal details on request, and every address past the retention.

`messaging` does not know whose details a text quotes (an alarm's finder, say): the caller names the
values and the messages; this module rewrites the texts, which are encrypted, so in Python and not in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from ..formatting import text_normalise
from ..models import InboundMessage, Message

# The text columns of a message that may quote what the caller wants gone.
TEXT_FIELDS = ("subject_line", "content", "error_message")


def _pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """One alternation, longest first, each value standing alone: a finder called "Ana" must not turn
    "Anatomía" into "[removed]tomía". Values are matched as written and with their whitespace collapsed
    (WhatsApp parameters and SMS bodies are normalised before sending)."""
    variants = {v.strip() for value in values if value for v in (value, text_normalise(value))}
    variants.discard("")
    if not variants:
        return None
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def text_redact(text: str, *, values: Iterable[str], replacement: str) -> str:
    pattern = _pattern(values)
    return pattern.sub(replacement, text) if pattern and text else text


def _redact_json(value: Any, pattern: re.Pattern[str], replacement: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_redact_json(v, pattern, replacement) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v, pattern, replacement) for k, v in value.items()}
    return value


def messages_redact(*, messages: QuerySet[Message], values: Iterable[str], replacement: str) -> int:
    """Replace every quote of `values` in these messages' texts and template parameters. Returns rows changed.

    Idempotent: a second run finds nothing left to replace. Runs inside the caller's transaction, so the
    caller can blank its own copy of the values in the same commit (once blanked, they cannot be found again).
    """
    pattern = _pattern(values)
    if pattern is None:
        return 0
    changed = 0
    for message in messages.only("pk", "provider_template", *TEXT_FIELDS).iterator(chunk_size=500):
        fields: dict[str, object] = {}
        for name in TEXT_FIELDS:
            old = getattr(message, name)
            new = pattern.sub(replacement, old) if old else old
            if new != old:
                fields[name] = new
        template = _redact_json(message.provider_template, pattern, replacement)
        if template != message.provider_template:
            fields["provider_template"] = template
        if fields:
            changed += Message.objects.filter(pk=message.pk).update(**fields)
    return changed


def messages_addresses_purge(*, before: datetime) -> dict[str, int]:
    """Addresses leave the message log once older than `before` (the scanner-data retention): messages keep
    their channel, kind, status, times and provider ids; replies and SMS reports lose who sent them and what
    they said (the alarm keeps the report itself and the acknowledgement note)."""
    with transaction.atomic():
        messages = (
            Message.objects.filter(created_at__lt=before).exclude(to="", address_hash="").update(to="", address_hash="")
        )
        # Blank, not a marker: "" is the one value an encrypted column can be filtered on, so rows already
        # purged are skipped on the next run.
        replies = (
            InboundMessage.objects.filter(received_at__lt=before)
            .exclude(from_address="", address_hash="", body="", auto_reply="")
            .update(from_address="", address_hash="", body="", auto_reply="")
        )
    return {"messages": messages, "replies": replies}
