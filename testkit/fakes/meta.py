"""A fake Graph API `/{version}/{phone-number-id}/messages` endpoint, and Meta's signed webhooks.

Checks what the real API checks that matters to us (bearer token, path, payload shape, template
parameters) and answers with real-shaped bodies and real error codes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field

from messaging.whatsapp_templates import DEFINITIONS, URL_BUTTON

from .base import FakeServer, RecordedRequest, Reply, StatusScript, later, post, whatsapp_user, wrote_within_a_day

_ids = itertools.count(1)
_limit_lock = threading.Lock()


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most of `times` (seconds) that fall within any `window` seconds."""
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def meta_error(code: int, message: str, *, subcode: int | None = None, type_: str = "OAuthException") -> dict:
    error = {"message": message, "type": type_, "code": code, "fbtrace_id": "AbCdEfGhIjK"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def meta_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _template_value(name: str, language: str, **fields: str) -> dict:
    """A template webhook's `value`: the template, as Meta names it, and what the event says of it."""
    return {
        "message_template_id": 12345,
        "message_template_name": name,
        "message_template_language": language,
        **fields,
    }


@dataclass
class FakeMeta(StatusScript, FakeServer):
    version: str = "v21.0"
    phone_number_id: str = "109876543210"
    token: str = "meta-test-token"
    app_secret: str = "meta-app-secret"
    # Templates the fake knows (Keryu's shipped definitions): (name, language code) -> number of body parameters.
    templates: dict[tuple[str, str], int] = field(
        default_factory=lambda: {d.key: len(d.parameters) for d in DEFINITIONS}
    )
    # Their buttons, in order: "QUICK_REPLY" or "URL" (a send must give each one its parameter).
    template_buttons: dict[tuple[str, str], tuple[str, ...]] = field(
        default_factory=lambda: {d.key: tuple(b.kind for b in d.buttons) for d in DEFINITIONS}
    )
    # Meta's verdict per template; anything but APPROVED is refused (see _template_state_problem).
    template_status: dict[tuple[str, str], str] = field(default_factory=dict)
    # True: every recipient's 24-hour window is open (the old, permissive behaviour; only for tests of other
    # things). False (the rule): a free-form text reaches only a number that wrote in the last 24 hours
    # (`open_window`, or any `inbound_payload` / `send_inbound` from it); otherwise it is accepted and then fails
    # with 131047 by status webhook.
    window_open: bool = False
    windows: dict[str, float] = field(default_factory=dict)  # whatsapp_user(wa_id) -> when it last wrote
    webhook_url: str = ""
    # With accept_then_drop and a webhook_url: seconds after a dropped answer Meta still reports "delivered".
    receipt_after: float | None = None
    # Status webhooks for accepted messages: `statuses` and `seed` (StatusScript).
    # Status webhooks waiting to go (without webhook_url): tests post them with `flush(client, path)`.
    pending: list[dict] = field(default_factory=list)
    # Template sends' button parameters: (to, wamid, index, sub_type, value), in the order they came.
    button_payloads: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    # Every refusal by rule (window, template state), as (to, code).
    refused: list[tuple[str, int]] = field(default_factory=list)
    # Throughput (throughput_refusal): messages per second per phone number (130429 beyond; None: no limit), and
    # Meta's pair rate, (messages, seconds) to one user (131056 beyond). `sent_at` records each accepted send.
    throughput: float | None = 80.0
    pair_limit: tuple[int, float] | None = (10, 6.0)
    sent_at: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    throttled: list[tuple[float, int]] = field(default_factory=list)
    # Approved AUTHENTICATION templates (copy-code button): (name, language code). See authentication_problem.
    authentication_templates: set[tuple[str, str]] = field(
        default_factory=lambda: {("keryu_verification_code", "es_MX"), ("keryu_verification_code", "en_US")}
    )

    def fail_next(self, code: int, *, status: int = 400, message: str = "error", subcode: int | None = None) -> None:
        self.script.append(Reply(status, meta_error(code, message, subcode=subcode)))

    waba_id: str = "WABA_ID"
    # Template definitions submitted for approval (POST /{version}/{waba-id}/message_templates).
    submitted: list[dict] = field(default_factory=list)

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method == "POST" and request.path == f"/{self.version}/{self.waba_id}/message_templates":
            return self._submit(request)
        if request.method != "POST" or request.path != f"/{self.version}/{self.phone_number_id}/messages":
            return Reply(400, meta_error(100, "Unsupported post request.", subcode=33, type_="GraphMethodException"))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, meta_error(190, "Invalid OAuth access token - Cannot parse access token"))
        try:
            body = request.json
        except ValueError:
            return Reply(400, meta_error(100, "Invalid parameter"))
        to = str(body.get("to", ""))
        if body.get("messaging_product") != "whatsapp" or not re.fullmatch(r"\d{8,15}", to):
            return Reply(400, meta_error(100, "Invalid parameter"))
        kind = body.get("type")
        if kind == "template":
            template = body.get("template") or {}
            problem = self._template_problem(template) or self._template_state_problem(to, template)
            if problem:
                return Reply(400, problem)
        elif kind == "text":
            if not (body.get("text") or {}).get("body"):
                return Reply(400, meta_error(131008, "Required parameter is missing"))
        else:
            return Reply(400, meta_error(100, "Invalid parameter"))
        refusal = self.throughput_refusal(to)
        if refusal is not None:
            return refusal
        wamid = f"wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEj{next(_ids):08d}"
        opaque = body.get("biz_opaque_callback_data")
        if kind == "template":
            self._record_buttons(to, wamid, body.get("template") or {})
        if kind == "text" and not self.window_is_open(to):
            # Meta accepts synchronously and reports the 24-hour window failure only in the status webhook.
            self.refused.append((to, 131047))
            self._status_out(wamid, "failed", to, opaque, errors=[{"code": 131047, "title": "Re-engagement message"}])
        else:
            for status in self._status_sequence():
                self._status_out(wamid, status, to, opaque)
        message = {"id": wamid}
        if kind == "template":
            message["message_status"] = "accepted"
        return Reply(
            200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [message]}
        )

    def _template_problem(self, template: dict) -> dict | None:
        name, language = template.get("name"), (template.get("language") or {}).get("code")
        if not name or not language:
            return meta_error(131008, "Required parameter is missing")
        if (name, language) in self.authentication_templates:
            return self.authentication_problem(template)
        if (name, language) not in self.templates:
            return meta_error(132001, "Template name does not exist in the translation")
        params = []
        for component in template.get("components", []):
            if component.get("type") == "body":
                params = component.get("parameters", [])
        for p in params:
            text = p.get("text", "")
            if p.get("type") != "text" or not text or re.search(r"[\n\t]| {5,}", text):
                return meta_error(100, "Invalid parameter", subcode=2494073)
        if len(params) != self.templates[(name, language)]:
            return meta_error(132000, "Number of parameters does not match the expected number of params")
        return self._buttons_problem(template, self.template_buttons.get((name, language), ()))

    def _submit(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, meta_error(190, "Invalid OAuth access token - Cannot parse access token"))
        definition = request.json
        if not definition.get("name") or not definition.get("language") or not definition.get("components"):
            return Reply(400, meta_error(100, "Invalid parameter"))
        self.submitted.append(definition)
        return Reply(200, {"id": f"{next(_ids)}", "status": "PENDING", "category": definition.get("category")})

    # --- the provider's rules (24-hour window, template state, buttons, statuses) ---------------------
    def open_window(self, wa_id: str) -> None:
        """`wa_id` wrote to us just now: free-form text reaches it for 24 hours."""
        self.windows[whatsapp_user(wa_id)] = time.time()

    def window_is_open(self, wa_id: str) -> bool:
        return self.window_open or wrote_within_a_day(self.windows, wa_id)

    def set_template_status(self, name: str, language: str, status: str) -> None:
        self.template_status[(name, language)] = status

    def _template_state_problem(self, to: str, template: dict) -> dict | None:
        """Meta refuses a template it has not approved: paused (132015), disabled (132016), or one still
        pending or rejected (132001, as Meta answers for a translation it will not send)."""
        key = (template.get("name"), (template.get("language") or {}).get("code"))
        status = self.template_status.get(key, "APPROVED")  # type: ignore[arg-type]
        if status == "APPROVED":
            return None
        code = {"PAUSED": 132015, "DISABLED": 132016}.get(status, 132001)
        self.refused.append((to, code))
        return meta_error(code, f"Template is {status.lower()}")

    @staticmethod
    def _buttons_problem(template: dict, expected: tuple[str, ...]) -> dict | None:
        """Each button of the approved template needs its parameter: a quick reply its payload, a URL its suffix."""
        given = {}
        for component in template.get("components", []):
            if component.get("type") == "button":
                given[int(component.get("index", -1))] = component
        if not expected and given:
            return meta_error(131009, "Parameter value is not valid (the template has no buttons)")
        for index, kind in enumerate(expected):
            component = given.get(index)
            if kind == URL_BUTTON and component is None:
                return meta_error(131008, f"Required parameter is missing: button {index}")
            if component is None:
                continue  # a quick reply without payload sends its text back as the payload
            parameters = component.get("parameters") or [{}]
            wanted = ("url", "text") if kind == URL_BUTTON else ("quick_reply", "payload")
            if component.get("sub_type") != wanted[0] or not parameters[0].get(wanted[1]):
                return meta_error(131009, f"Parameter value is not valid: button {index}")
        return None

    def _record_buttons(self, to: str, wamid: str, template: dict) -> None:
        for component in template.get("components", []):
            if component.get("type") == "button":
                parameter = (component.get("parameters") or [{}])[0]
                value = parameter.get("payload") or parameter.get("text") or ""
                self.button_payloads.append((to, wamid, int(component["index"]), component.get("sub_type", ""), value))

    def payload_for(self, wamid: str, index: int) -> str:
        """The payload Keryu put on button `index` of message `wamid` (what Meta sends back when it is tapped)."""
        return next(v for _, w, i, _, v in self.button_payloads if w == wamid and i == index)

    def _status_out(self, wamid: str, status: str, to: str, opaque, **kwargs) -> None:
        payload = self.status_payload(wamid, status, to=to, biz_opaque=opaque, **kwargs)
        if self.webhook_url:
            later(post, self.webhook_url, *self.signed(payload))
        else:
            self.pending.append(payload)

    def flush(self, client, path: str = "/webhooks/whatsapp/") -> list[int]:
        """Post the waiting status webhooks through a Django test client, in the order the fake chose."""
        codes = []
        while self.pending:
            body, headers = self.signed(self.pending.pop(0))
            response = client.post(
                path,
                data=body,
                content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"],
            )
            codes.append(response.status_code)
        return codes

    # --- throughput (issue 16 item 5) ---------------------------------------------------------------
    def throughput_refusal(self, to: str) -> Reply | None:
        """Meta's limits on an otherwise good send: more than `throughput` accepted sends of this phone number in
        the trailing second is 130429; more than `pair_limit` to one user in its window is 131056. A refused send
        is not counted. The server is threaded: counting and recording happen under one lock."""
        with _limit_lock:
            now = time.monotonic()
            sent = self.sent_at.setdefault(self.phone_number_id, [])
            if self.throughput is not None and sum(1 for t, _ in sent if t > now - 1.0) >= self.throughput:
                self.throttled.append((now, 130429))
                return Reply(400, meta_error(130429, "Rate limit hit", type_="OAuthException"))
            if self.pair_limit is not None:
                most, seconds = self.pair_limit
                if sum(1 for t, user in sent if user == to and t > now - seconds) >= most:
                    self.throttled.append((now, 131056))
                    return Reply(400, meta_error(131056, "(Business Account, Consumer Account) pair rate limit hit"))
            sent.append((now, to))
        return None

    def max_rate_seen(self, window: float = 1.0) -> int:
        """The most sends this phone number had accepted within any `window` seconds."""
        return max_in_window([t for t, _ in self.sent_at.get(self.phone_number_id, [])], window)

    # --- authentication templates (issue 16 item 1) -------------------------------------------------
    def authentication_problem(self, template: dict) -> dict | None:
        """An AUTHENTICATION template with a copy-code button, as Meta takes it: the code once as the body's
        only parameter and again as the parameter of the button (sub_type "url", index 0). The code must be
        at most 15 characters; the template itself carries no link."""
        components = template.get("components", [])
        body = [c for c in components if c.get("type") == "body"]
        buttons = [c for c in components if c.get("type") == "button"]
        if len(body) != 1 or len(body[0].get("parameters", [])) != 1:
            return meta_error(132000, "Number of parameters does not match the expected number of params")
        code = body[0]["parameters"][0].get("text", "")
        if not code or len(code) > 15 or body[0]["parameters"][0].get("type") != "text":
            return meta_error(100, "Invalid parameter", subcode=2494073)
        if (
            len(buttons) != 1
            or buttons[0].get("sub_type") != "url"
            or str(buttons[0].get("index")) != "0"
            or [p.get("text") for p in buttons[0].get("parameters", [])] != [code]
        ):
            return meta_error(131008, "Required parameter is missing: the copy-code button needs the code")
        return None

    def on_dropped(self, request: RecordedRequest, body: dict | str) -> None:
        if self.receipt_after is not None and self.webhook_url:
            threading.Timer(
                self.receipt_after, post, args=(self.webhook_url, *self.signed(self.receipt(request, body)))
            ).start()

    def receipt(self, request: RecordedRequest, body: dict | str, status: str = "delivered") -> dict:
        """The status webhook for a request Meta accepted (its answer may never have reached us)."""
        sent = request.json
        wamid = body["messages"][0]["id"] if isinstance(body, dict) and body.get("messages") else "wamid.LOST"
        return self.status_payload(
            wamid, status, to=str(sent.get("to", "")), biz_opaque=sent.get("biz_opaque_callback_data")
        )

    # --- webhooks Meta sends us ---------------------------------------------------------------------
    def signed(self, payload: dict) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return body, {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body, self.app_secret)}

    def status_payload(
        self, wamid: str, status: str, *, to: str = "5215512345678", biz_opaque=None, errors=None
    ) -> dict:
        entry = {"id": wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": to}
        if biz_opaque is not None:
            entry["biz_opaque_callback_data"] = biz_opaque
        if errors:
            entry["errors"] = errors
        return self._envelope("messages", {"messaging_product": "whatsapp", "statuses": [entry]})

    def inbound_payload(
        self, from_: str, text: str, *, wamid: str, context_id: str | None = None, button_payload: str | None = None
    ) -> dict:
        """A text message, or with `button_payload` a press of a template's quick-reply button labelled `text`
        (Meta sends those as type "button", always with the context of the message that carried the button)."""
        self.open_window(from_)
        message: dict = {"from": from_, "id": wamid, "timestamp": str(int(time.time()))}
        if button_payload is None:
            message.update(type="text", text={"body": text})
        else:
            message.update(type="button", button={"payload": button_payload, "text": text})
        if context_id:
            message["context"] = {"from": self.phone_number_id, "id": context_id}
        value = {
            "messaging_product": "whatsapp",
            "contacts": [{"profile": {"name": "C"}, "wa_id": from_}],
            "messages": [message],
        }
        return self._envelope("messages", value)

    def template_status_payload(self, name: str, language: str, event: str, reason: str = "NONE") -> dict:
        """Meta's verdict on a template changed: the fake applies it to its own sends too."""
        self.set_template_status(name, language, event)
        value = _template_value(name, language, event=event, reason=reason)
        return self._envelope("message_template_status_update", value)

    def template_category_payload(self, name: str, language: str, previous: str, new: str) -> dict:
        value = _template_value(name, language, previous_category=previous, new_category=new)
        return self._envelope("template_category_update", value)

    def template_quality_payload(self, name: str, language: str, previous: str, new: str) -> dict:
        value = _template_value(name, language, previous_quality_score=previous, new_quality_score=new)
        return self._envelope("message_template_quality_update", value)

    def tap_payload(self, from_: str, wamid: str, index: int, text: str) -> dict:
        """The recipient `from_` tapped quick-reply `index` of message `wamid`: Meta sends back its payload."""
        return self.inbound_payload(
            from_,
            text,
            wamid=f"wamid.IN{next(_ids):08d}",
            context_id=wamid,
            button_payload=self.payload_for(wamid, index),
        )

    def _envelope(self, field_name: str, value: dict) -> dict:
        if field_name == "messages":
            value.setdefault(
                "metadata", {"display_phone_number": "15550001111", "phone_number_id": self.phone_number_id}
            )
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA_ID", "changes": [{"value": value, "field": field_name}]}],
        }

    def send_status(self, url: str, wamid: str, status: str, **kwargs) -> int:
        return post(url, *self.signed(self.status_payload(wamid, status, **kwargs)))

    def send_inbound(self, url: str, from_: str, text: str, **kwargs) -> int:
        return post(url, *self.signed(self.inbound_payload(from_, text, wamid=f"wamid.IN{next(_ids):08d}", **kwargs)))
