"""The one interface every channel adapter implements."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    to: str
    body: str
    subject: str = ""
    html: str = ""
    template_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str


class ErrorAction:
    """What the caller should do about a failed send."""

    RETRY = "retry"  # transient: try the same channel again after a backoff
    SWITCH = "switch"  # this channel cannot reach this recipient: go to the next channel now
    STOP = "stop"  # our configuration is wrong (credentials, parameters, spam limit): next channel and alert staff


class ChannelError(Exception):
    """A send that did not go out. `permanent` means retrying the same channel cannot help."""

    def __init__(self, message: str, *, permanent: bool, code: str | None = None, action: str | None = None) -> None:
        super().__init__(message)
        self.action = action or (ErrorAction.SWITCH if permanent else ErrorAction.RETRY)
        self.permanent = self.action != ErrorAction.RETRY
        self.code = code

    @property
    def alert_staff(self) -> bool:
        return self.action == ErrorAction.STOP


class Channel:
    key: str = ""

    def is_configured(self) -> bool:
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        raise NotImplementedError
