"""Meta WhatsApp Cloud API: POST {base}/{version}/{phone_number_id}/messages with a bearer token.

Template messages (approved UTILITY templates, the only kind delivered outside the 24-hour window) and
plain text where the window is open. An accepted send is not a delivery: only the status webhook says so,
and `biz_opaque_callback_data` carries our message id back in it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy

from ..formatting import phone_for_meta_whatsapp, template_parameter
from ..whatsapp_templates import URL_BUTTON, definition_for
from .base import Family, OutboundMessage, ProviderChannel, ProviderCodes, SendResult, network_error, uncertain_error

# 131047 outside the 24-hour window, 131056 too many messages to this user (pair rate limit: waiting does not
# help an alarm), 132xxx template missing/paused/disabled/param mismatch: about what we sent or when.
_OURS = frozenset({131047, 131056, 132000, 132001, 132005, 132007, 132012, 132015, 132016})
META_ERRORS = ProviderCodes(
    retry=frozenset({2, 130429, 131000}),
    # 131026 undeliverable: about the recipient.
    switch=_OURS | {131026},
    # Credentials, parameters, spam limit.
    stop=frozenset({190, 100, 131008, 131048}),
    # 130429 (throughput): one more try on the same channel after a short wait, then the next channel.
    retry_once=130429,
    ours=_OURS,
)


def authentication_components(parameters: tuple[str, ...]) -> list[dict[str, Any]]:
    """An AUTHENTICATION template's components: the code in the body and again in the copy-code button, which
    Meta's send API addresses as a "url" button at index 0 (the only way it takes the code for the button)."""
    code = parameters[0] if parameters else ""
    return [
        {"type": "body", "parameters": [{"type": "text", "text": code}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": code}]},
    ]


def timeouts() -> tuple[float, float]:
    return (settings.MESSAGING_CONNECT_TIMEOUT, settings.MESSAGING_READ_TIMEOUT)


# A connection idle this long is not reused: servers close idle keep-alive connections, and a request written
# into one the server is closing would end as "connection lost", an uncertain send.
KEEPALIVE_IDLE_SECONDS = 20.0
_sessions = threading.local()


def http_session(base_url: str) -> requests.Session:
    """This thread's `requests.Session` for one API base URL: its connection is kept alive between sends (no
    new TCP and TLS handshake, no new Session per send). Renewed after KEEPALIVE_IDLE_SECONDS without a send."""
    held: dict[str, tuple[requests.Session, float]] = getattr(_sessions, "by_base", None) or {}
    _sessions.by_base = held
    now = time.monotonic()
    session, last_used = held.get(base_url, (None, 0.0))
    if session is not None and now - last_used > KEEPALIVE_IDLE_SECONDS:
        session.close()
        session = None
    if session is None:
        session = _new_session(base_url)
    held[base_url] = (session, now)
    return session


def _new_session(base_url: str) -> requests.Session:
    """A session that reads the environment (proxies and no_proxy, the CA bundle) once, for this base URL,
    instead of on every request (requests' trust_env: a third of the call's CPU)."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


def button_components(message: OutboundMessage) -> list[dict[str, Any]]:
    """The template's buttons with this message's parameters: each quick reply's payload (returned to us when
    tapped) and the URL button's suffix. Only for a template whose definition Keryu ships."""
    definition = definition_for(message.whatsapp_template, message.whatsapp_language)
    if definition is None or not message.whatsapp_buttons:
        return []
    components = []
    for index, (button, value) in enumerate(zip(definition.buttons, message.whatsapp_buttons, strict=False)):
        if button.kind == URL_BUTTON:
            parameter = {"type": "text", "text": value}
            sub_type = "url"
        else:
            parameter = {"type": "payload", "payload": value}
            sub_type = "quick_reply"
        components.append({"type": "button", "sub_type": sub_type, "index": str(index), "parameters": [parameter]})
    return components


class MetaWhatsAppChannel(ProviderChannel):
    key = "meta_whatsapp"
    label = gettext_lazy("WhatsApp (Meta Cloud API)")
    family = Family.WHATSAPP
    provider = "Meta"
    errors = META_ERRORS

    def is_configured(self) -> bool:
        return bool(settings.WHATSAPP_PHONE_NUMBER_ID and settings.WHATSAPP_ACCESS_TOKEN)

    def url(self) -> str:
        base = settings.WHATSAPP_API_BASE_URL.rstrip("/")
        return f"{base}/{settings.WHATSAPP_API_VERSION}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"

    def payload(self, message: OutboundMessage) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": phone_for_meta_whatsapp(message.to),
            "biz_opaque_callback_data": str(message.message_id),
        }
        if message.whatsapp_template:
            template: dict[str, Any] = {
                "name": message.whatsapp_template,
                "language": {"code": message.whatsapp_language},
            }
            if message.whatsapp_parameters:
                template["components"] = [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": template_parameter(p)} for p in message.whatsapp_parameters
                        ],
                    }
                ]
            if message.whatsapp_authentication:
                # A one-time code: Meta's authentication shape (body code + copy-code button), nothing else.
                template["components"] = authentication_components(message.whatsapp_parameters)
            elif buttons := button_components(message):
                template.setdefault("components", []).extend(buttons)
            payload.update(type="template", template=template)
        else:
            payload.update(type="text", text={"preview_url": False, "body": message.body})
        return payload

    def send(self, message: OutboundMessage) -> SendResult:
        if not self.is_configured():
            raise self.not_configured()
        try:
            response = http_session(settings.WHATSAPP_API_BASE_URL).post(  # nosec B113: timeout=timeouts() below
                self.url(),
                json=self.payload(message),
                headers={"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"},
                timeout=timeouts(),
            )
        except requests.RequestException as exc:
            raise network_error("Meta", exc) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if body is None and response.status_code >= 500:
            raise self.proxy_error(message, response.status_code)
        body = body if isinstance(body, dict) else {}
        if response.status_code >= 400 or "error" in body:
            error = body.get("error") or {}
            code = error.get("code")
            text = f"Meta error {code or response.status_code}: {error.get('message', '')}".strip()
            raise self.provider_error(
                message, code=code, http_status=response.status_code, text=text, subcode=error.get("error_subcode")
            )
        try:
            provider_id = body["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            # Meta said yes (2xx) without the id: the message is out, only a receipt can tell us more.
            raise uncertain_error("Meta", "accepted without a message id", code="bad_response") from None
        return SendResult(provider_message_id=provider_id)
