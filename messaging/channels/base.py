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
    # WhatsApp template to send instead of text (Meta: name, language code, ordered body parameters;
    # Twilio: content_sid and the same parameters as ContentVariables "1", "2", ...). Empty name: text.
    whatsapp_template: str = ""
    whatsapp_language: str = ""
    whatsapp_parameters: tuple[str, ...] = ()
    twilio_content_sid: str = ""
    # How many times this message already failed transiently (Twilio 30003 is retried only once).
    retry_count: int = 0


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

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str | None = None,
        action: str | None = None,
        flag_address: bool = False,
    ) -> None:
        super().__init__(message)
        self.action = action or (ErrorAction.SWITCH if permanent else ErrorAction.RETRY)
        self.permanent = self.action != ErrorAction.RETRY
        self.code = code
        # The provider keeps failing to reach this address: record it for staff (Twilio 30003 twice).
        self.flag_address = flag_address

    @property
    def alert_staff(self) -> bool:
        return self.action == ErrorAction.STOP


def error_for(action: str, message: str, *, code: object = None, flag_address: bool = False) -> ChannelError:
    """A ChannelError from a mapped action; `permanent` follows from it."""
    return ChannelError(
        message,
        permanent=action != ErrorAction.RETRY,
        code=None if code is None else str(code),
        action=action,
        flag_address=flag_address,
    )


class Channel:
    key: str = ""
    label: str = ""

    def is_configured(self) -> bool:
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        raise NotImplementedError
