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


class ChannelError(Exception):
    """A send that did not go out. `permanent` means retrying the same channel cannot help."""

    def __init__(self, message: str, *, permanent: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class Channel:
    key: str = ""

    def is_configured(self) -> bool:
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        raise NotImplementedError
