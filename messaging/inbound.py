"""Who answers an inbound message: the one handler the app above registers here at start-up.

messaging records a reply (services.provider_events.inbound_record) but cannot know what it means: an
acknowledgement of an alarm, or a finder texting a badge's short code, are alerts' business, and messaging may
not import alerts (alerts -> messaging -> core). So the app that knows hands messaging one typed callable from
its AppConfig.ready() (home.apps: alerts.services.inbound_handle with the scan page's emergency number), and
messaging calls it with the recorded message and answers the sender with what it returns. Why this shape:

- a signal whose receivers return the answer is a function call in disguise: any number of receivers, an
  order nobody chose, untyped keyword arguments, and a "first non-empty string wins" rule;
- a setting naming a dotted path hides the dependency from the import graph (and from the architecture test)
  and fails only when the first message arrives; here the import happens in ready(), where every app's wiring
  lives, and an unset handler is visible at once (the reply is recorded, answered with nothing, and logged).

One handler: setting it again replaces it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .models import InboundMessage

log = logging.getLogger(__name__)

InboundHandler = Callable[[InboundMessage], str | None]
_handler: InboundHandler | None = None


def inbound_handler_set(handler: InboundHandler) -> None:
    """Make `handler` the one that answers inbound messages (called from an AppConfig.ready())."""
    global _handler
    _handler = handler


def inbound_answer(message: InboundMessage) -> str:
    """The registered handler's answer to `message` (empty: nothing to say back)."""
    if _handler is None:
        log.warning("inbound id=%s not handled: no inbound handler registered", message.pk)
        return ""
    return _handler(message) or ""
