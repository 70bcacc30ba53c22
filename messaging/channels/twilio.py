"""Twilio WhatsApp and Twilio SMS through the `twilio` SDK's Messages resource.

The client is re-pointed at settings.TWILIO_API_BASE_URL when set (tests use a local fake) and always gets
an HTTP client with (connect, read) timeouts. TWILIO_EDGE / TWILIO_REGION must stay unset: the SDK would
rewrite the host.
"""

from __future__ import annotations

import json

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..formatting import phone_for_twilio_sms, phone_for_twilio_whatsapp, template_parameter
from .base import (
    ChannelError,
    Family,
    OutboundMessage,
    ProviderChannel,
    ProviderCodes,
    SendResult,
    error_for,
    network_error,
    uncertain_error,
)

UNREACHABLE = 30003
# 63016 outside WhatsApp's 24-hour window, 63027 a Content template WhatsApp has not approved, 30410 (provider
# timeout; never retried: the first message may still arrive, a retry would duplicate it): about what we sent or
# when, not about the recipient.
_OURS = frozenset({63016, 63027, 30410})
TWILIO_ERRORS = ProviderCodes(
    retry=frozenset({30001, 60005, 20429}),
    switch=_OURS | {21610, 21211, 21614, 30004, 30005, 30006, 30007},
    # Our side is wrong: credentials, sender number, WhatsApp sender.
    stop=frozenset({20003, 20404, 21212, 21606, 21659, 63007}),
    # 30003 (handset unreachable, about the recipient) gets one retry, then we move on.
    retry_once=UNREACHABLE,
    ours=_OURS,
    unreachable=UNREACHABLE,
)


def twilio_client() -> Client:
    http_client = TwilioHttpClient()
    # The SDK's constructor only accepts a number; requests takes the (connect, read) pair we want.
    http_client.timeout = (settings.MESSAGING_CONNECT_TIMEOUT, settings.MESSAGING_READ_TIMEOUT)
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
    if settings.TWILIO_API_BASE_URL:
        client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
    return client


def status_callback_url(message_id: int) -> str | None:
    """Where Twilio posts delivery statuses; our id rides in the (signed) query string."""
    base = settings.TWILIO_STATUS_CALLBACK_BASE_URL.rstrip("/")
    return f"{base}/webhooks/twilio/?message={message_id}" if base else None


class _TwilioChannel(ProviderChannel):
    provider = "Twilio"
    errors = TWILIO_ERRORS
    answers_in_webhook = True  # TwiML: the inbound webhook's response is the answer
    sender_setting = ""

    def is_configured(self) -> bool:
        return bool(
            settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and getattr(settings, self.sender_setting)
        )

    def address(self, number: str) -> str:
        raise NotImplementedError

    def params(self, message: OutboundMessage) -> dict[str, str]:
        params: dict[str, str] = {
            "to": self.address(message.to),
            "from_": self.address(getattr(settings, self.sender_setting)),
        }
        callback = status_callback_url(message.message_id)
        if callback:
            params["status_callback"] = callback
        return params

    def send(self, message: OutboundMessage) -> SendResult:
        if not self.is_configured():
            raise self.not_configured()
        params = self.params(message)
        try:
            created = twilio_client().messages.create(**params)
        except TwilioRestException as exc:
            if exc.status >= 500 and exc.code == exc.status:
                # The SDK's fallback when the body is not Twilio's JSON (the SDK itself sends through requests,
                # whose errors come through raw).
                raise self.proxy_error(message, exc.status) from None
            text = f"Twilio error {exc.code}: {exc.msg}"
            raise self.provider_error(message, code=exc.code, http_status=exc.status, text=text) from None
        except requests.RequestException as exc:
            raise network_error("Twilio", exc) from None
        except TwilioException as exc:
            raise ChannelError(f"Twilio unreachable: {type(exc).__name__}", permanent=False, code="network") from None
        except ValueError:
            # A 2xx whose body is not JSON (the SDK parses it): Twilio took the message, the answer is unreadable.
            raise uncertain_error("Twilio", "accepted with an unreadable answer", code="bad_response") from None
        if created.error_code:
            action = TWILIO_ERRORS.action(int(created.error_code), retry_count=message.retry_count)
            raise error_for(action, f"Twilio error {created.error_code}", code=created.error_code)
        return SendResult(provider_message_id=created.sid)


class TwilioSMSChannel(_TwilioChannel):
    key = "twilio_sms"
    label = gettext_lazy("SMS (Twilio)")
    family = Family.SMS
    sender_setting = "TWILIO_PHONE_NUMBER"

    def address(self, number: str) -> str:
        return phone_for_twilio_sms(number)

    def params(self, message: OutboundMessage) -> dict[str, str]:
        return {**super().params(message), "body": message.body}


class TwilioWhatsAppChannel(_TwilioChannel):
    key = "twilio_whatsapp"
    label = gettext_lazy("WhatsApp (Twilio)")
    family = Family.WHATSAPP
    sender_setting = "TWILIO_WHATSAPP_NUMBER"

    def address(self, number: str) -> str:
        return phone_for_twilio_whatsapp(number)

    def params(self, message: OutboundMessage) -> dict[str, str]:
        params = super().params(message)
        if message.twilio_content_sid:
            params["content_sid"] = message.twilio_content_sid
            # The body's parameters, then the buttons' values (quick-reply ids, the URL suffix): Content API
            # variables {{1}}.. as messaging.whatsapp_templates.TemplateDefinition.twilio_definition numbers them.
            values = (*message.whatsapp_parameters, *message.whatsapp_buttons)
            variables = {str(i): template_parameter(v) for i, v in enumerate(values, start=1)}
            params["content_variables"] = json.dumps(variables, ensure_ascii=False)
        else:
            params["body"] = message.body
        return params
