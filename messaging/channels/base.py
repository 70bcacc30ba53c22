"""The one interface every channel adapter implements."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

import requests
from django_stubs_ext import StrOrPromise
from urllib3.exceptions import NewConnectionError


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
    # The template's button parameters, in the definition's order (messaging.whatsapp_templates): each quick
    # reply's payload (an opaque signed reference), then the URL button's suffix.
    whatsapp_buttons: tuple[str, ...] = ()
    # How many times this message already failed transiently (Twilio 30003 is retried only once).
    retry_count: int = 0
    # An AUTHENTICATION template (a one-time code with a copy-code button): its one parameter is the code.
    whatsapp_authentication: bool = False
    # The language the text was written in (its template's), when known without a query: an email's <html lang>.
    language: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str


class ErrorAction:
    """What the caller should do about a failed send."""

    RETRY = "retry"  # transient: try the same channel again after a backoff
    SWITCH = "switch"  # this channel cannot reach this recipient: go to the next channel now
    STOP = "stop"  # our configuration is wrong (credentials, parameters, spam limit): next channel and alert staff
    # The request may have reached the provider and only the answer was lost (read timeout, connection closed
    # after sending, a proxy's bodiless 5xx): never send again on this channel; wait for the receipt.
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class ProviderCodes:
    """One provider's error codes, by what to do about them (an ErrorAction). The same rules read every
    provider's table: `retry_once` earns one more try on the same channel, then the next; unknown codes switch."""

    retry: frozenset[int]
    switch: frozenset[int]
    # Our configuration is wrong: the next channel, and tell staff.
    stop: frozenset[int]
    retry_once: int
    # Switch codes about what we sent or when (a window, a template, a limit), not about the recipient.
    ours: frozenset[int]
    # The handset cannot be reached: switching channel on it flags the address for staff (Twilio 30003 twice).
    unreachable: int | None = None

    @property
    def not_the_address(self) -> frozenset[int]:
        """Failures that say nothing about the recipient's address (what a reachability drill must not flag)."""
        return self.ours | self.retry | self.stop

    def action(self, code: int | None, *, http_status: int | None = None, retry_count: int = 0) -> str:
        if code == self.retry_once:
            return ErrorAction.RETRY if retry_count == 0 else ErrorAction.SWITCH
        if code in self.retry:
            return ErrorAction.RETRY
        if code in self.switch:
            return ErrorAction.SWITCH
        if code in self.stop:
            return ErrorAction.STOP
        if http_status is not None and (http_status >= 500 or http_status == 429):
            return ErrorAction.RETRY
        return ErrorAction.SWITCH  # unknown: never hold an alarm on a channel we do not understand


class ChannelError(Exception):
    """A send that did not go out, or may have. `permanent` means the same channel must not be tried again:
    it cannot help (SWITCH, STOP) or it may duplicate a message the provider already has (UNCERTAIN)."""

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

    @property
    def uncertain(self) -> bool:
        return self.action == ErrorAction.UNCERTAIN


def error_for(action: str, message: str, *, code: object = None, flag_address: bool = False) -> ChannelError:
    """A ChannelError from a mapped action; `permanent` follows from it."""
    return ChannelError(
        message,
        permanent=action != ErrorAction.RETRY,
        code=None if code is None else str(code),
        action=action,
        flag_address=flag_address,
    )


def uncertain_error(provider: str, reason: str, *, code: str) -> ChannelError:
    return ChannelError(
        f"{provider}: {reason}; it may have been accepted", permanent=True, code=code, action=ErrorAction.UNCERTAIN
    )


def network_error(provider: str, exc: requests.RequestException) -> ChannelError:
    """A network failure from `requests` (raw or under the twilio SDK), sorted by whether the request left.

    A connection never made (refused, connect timeout, name not resolved, TLS handshake) is a certain
    non-send: retrying is safe. A read timeout, or a connection closed or reset after the request was
    written, may have left the provider with the message: uncertain.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return ChannelError(f"{provider}: connect timeout", permanent=False, code="connect_timeout")
    if isinstance(exc, requests.ReadTimeout):
        return uncertain_error(provider, "no answer in time", code="timeout")
    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return ChannelError(f"{provider}: {type(exc).__name__}", permanent=False, code="network")
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, NewConnectionError):
            return ChannelError(f"{provider} unreachable", permanent=False, code="network")
        return uncertain_error(provider, "connection lost before the answer", code="connection_lost")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return uncertain_error(provider, "answer cut off", code="connection_lost")
    return ChannelError(f"{provider}: {type(exc).__name__}", permanent=False, code="network")


class Family(StrEnum):
    """What a recipient's preference names (registry.models.ContactChannel holds the same values)."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"
    DEVELOPMENT = "development"


class AddressKind(StrEnum):
    """Which of a recipient's addresses a channel sends to."""

    PHONE = "phone"
    EMAIL = "email"
    ANY = "any"  # the phone when there is one, else the email (the development channel records either)


class Channel:
    """A channel adapter. Its class attributes are the channel catalogue (messaging.channels.CATALOGUE):
    the stored key, the label staff see, the Family a recipient's preference names and the kind of address
    it sends to."""

    key: str = ""
    label: StrOrPromise = ""
    family: str = ""  # a Family
    address_kind: AddressKind = AddressKind.ANY
    # Whether the provider later says a message was delivered (a receipt). Without receipts, the provider
    # accepting the message is the last word there will be (SMTP, the development channel).
    reports_delivery: bool = True
    # True when the provider sends back what its inbound webhook answers (Twilio's TwiML). Otherwise an answer
    # to an inbound message goes out as a message of its own (provider_events.inbound_answer_send).
    answers_in_webhook: bool = False

    def is_configured(self) -> bool:
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        raise NotImplementedError


class ProviderChannel(Channel):
    """An adapter for a provider's messaging API (Meta's, Twilio's): it sends to phones, the provider reports
    delivery, and its refusals are read, logged and raised the same way for every provider, from its `errors`
    table. Logs name ids, channel and provider codes, never the message or the address."""

    address_kind = AddressKind.PHONE
    reports_delivery = True
    provider: str = ""  # how errors and logs name it: "Meta", "Twilio"
    errors: ProviderCodes

    def log_failed_send(self, message: OutboundMessage, http_status: int, outcome: str) -> None:
        logging.getLogger(type(self).__module__).warning(
            "%s send %s id=%s channel=%s http=%s",
            self.provider.lower(),
            outcome,
            message.message_id,
            self.key,
            http_status,
        )

    def not_configured(self) -> ChannelError:
        return ChannelError(f"{self.label} is not configured", permanent=True, action=ErrorAction.STOP)

    def proxy_error(self, message: OutboundMessage, http_status: int) -> ChannelError:
        """A 5xx that is not the provider's error format: a proxy or load balancer answered, maybe after the
        provider took the request."""
        self.log_failed_send(message, http_status, "uncertain (no API body)")
        return uncertain_error(self.provider, f"HTTP {http_status} without an API answer", code="proxy_5xx")

    def provider_error(
        self, message: OutboundMessage, *, code: int | None, http_status: int, text: str, subcode: object = None
    ) -> ChannelError:
        """The provider refused the message with an error code: what to do about it, from `errors`."""
        action = self.errors.action(code, http_status=http_status, retry_count=message.retry_count)
        self.log_failed_send(message, http_status, f"failed code={code} subcode={subcode} action={action}")
        flag = code is not None and code == self.errors.unreachable and action == ErrorAction.SWITCH
        return error_for(action, text[:500], code=code or http_status, flag_address=flag)
