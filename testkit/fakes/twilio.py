"""A fake Twilio Messages resource (`/2010-04-01/Accounts/{sid}/Messages.json`) and Twilio's signed callbacks."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from .base import FakeServer, RecordedRequest, Reply, StatusScript, later, post, whatsapp_user, wrote_within_a_day
from .meta import max_in_window

_ids = itertools.count(1)
_limit_lock = threading.Lock()
E164 = re.compile(r"\+[1-9]\d{7,14}")


def twilio_error(code: int, message: str, status: int = 400) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass
class FakeTwilio(StatusScript, FakeServer):
    account_sid: str = "AC" + "1" * 32
    auth_token: str = "twilio-test-token"
    # True: every WhatsApp user's 24-hour session is open (permissive; only for tests of other things). False
    # (the rule): a plain Body reaches only a number that wrote in the last 24 hours (`open_session`, or an
    # `inbound_params` / `send_inbound` from it); otherwise it is accepted, then fails with 63016.
    whatsapp_session_open: bool = False
    sessions: dict[str, float] = field(default_factory=dict)  # whatsapp_user(number) -> when it last wrote
    # With accept_then_drop: seconds after a dropped answer Twilio still calls the StatusCallback ("delivered").
    receipt_after: float | None = None
    # Content templates WhatsApp approved (ContentSid -> its number of variables); any other is refused (63027).
    contents: dict[str, int] = field(default_factory=dict)
    # Status callbacks for accepted messages: `statuses` and `seed` (StatusScript).
    # Callbacks waiting to go when the StatusCallback is not reachable from here (http://testserver/...):
    # (url, params); tests post them with `flush(client)`.
    pending: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)
    # Throughput (throughput_refusal): messages per second per sender, WhatsApp and SMS (one long code); beyond
    # it 429 with 20429. None: no limit. `sent_at` records each accepted send per From. SMS is off by default:
    # real Twilio queues SMS beyond a long code's 1/s rather than refusing them, and at 1/s two sends that our
    # bucket spaced 1.1 s apart can reach the fake closer than 1 s on a loaded machine (a test sets it to check).
    whatsapp_throughput: float | None = 10.0
    sms_throughput: float | None = None
    sent_at: dict[str, list[float]] = field(default_factory=dict)
    throttled: list[tuple[float, int]] = field(default_factory=list)

    def fail_next(self, code: int, *, status: int = 400, message: str = "error") -> None:
        self.script.append(Reply(status, twilio_error(code, message, status)))

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return Reply(404, twilio_error(20404, "The requested resource was not found", 404))
        if not self._authorised(request):
            return Reply(401, twilio_error(20003, "Authenticate", 401))
        form = request.form
        to, sender = form.get("To", ""), form.get("From", "")
        whatsapp = to.startswith("whatsapp:")
        if whatsapp != sender.startswith("whatsapp:"):
            return Reply(
                400, twilio_error(21910, "Invalid From and To pair. From and To should be of the same channel")
            )
        if not E164.fullmatch(to.removeprefix("whatsapp:")):
            return Reply(400, twilio_error(21211, f"Invalid 'To' Phone Number: {to}"))
        if not E164.fullmatch(sender.removeprefix("whatsapp:")):
            return Reply(400, twilio_error(21212, "Invalid From Number (caller ID)"))
        if "ContentSid" in form:
            if not form["ContentSid"].startswith("HX"):
                return Reply(400, twilio_error(21656, "The ContentVariables Parameter is invalid"))
            try:
                variables = json.loads(form.get("ContentVariables", "{}"))
            except ValueError:
                return Reply(400, twilio_error(21656, "The ContentVariables Parameter is invalid"))
            if any(re.search(r"[\n\t]", str(v)) for v in variables.values()):
                return Reply(400, twilio_error(21656, "The ContentVariables Parameter is invalid"))
            problem = self._content_problem(to, form["ContentSid"])
            if problem:
                return Reply(400, problem)
        elif not form.get("Body"):
            return Reply(400, twilio_error(21602, "Message body is required."))
        refusal = self.throughput_refusal(sender)
        if refusal is not None:
            return refusal
        sid = f"SM{next(_ids):032x}"
        callback = form.get("StatusCallback", "")
        if whatsapp and "Body" in form and not self.session_is_open(to):
            self.refused.append((to, 63016))
            self._status_out(callback, sid, "failed", error_code=63016, to=to, from_=sender)
        else:
            for status in self._status_sequence():
                self._status_out(callback, sid, status, to=to, from_=sender)
        return Reply(201, self.resource(sid, form))

    # --- the provider's rules (WhatsApp session, approved content, statuses) ----------------------------
    def open_session(self, number: str) -> None:
        self.sessions[whatsapp_user(number)] = time.time()

    def session_is_open(self, to: str) -> bool:
        return self.whatsapp_session_open or wrote_within_a_day(self.sessions, to)

    def approve_content(self, sid: str, variables: int = 0) -> None:
        self.contents[sid] = variables

    def _content_problem(self, to: str, sid: str) -> dict | None:
        if sid in self.contents:
            return None
        self.refused.append((to, 63027))
        return twilio_error(63027, "Template does not exist for a language and locale (not approved)")

    def _status_out(self, url: str, sid: str, status: str, **kwargs) -> None:
        if not url:
            return
        if url.startswith(("http://127.0.0.1", "http://localhost")):
            later(self.send_status, url, sid, status, **kwargs)
        else:
            self.pending.append((url, self.status_params(sid, status, **kwargs)))

    def flush(self, client) -> list[int]:
        """Post the waiting status callbacks through a Django test client (signed for their public URL)."""
        codes = []
        while self.pending:
            url, params = self.pending.pop(0)
            signature = RequestValidator(self.auth_token).compute_signature(url, params)
            path = url.split("://", 1)[1].split("/", 1)[1]
            response = client.post("/" + path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)
            codes.append(response.status_code)
        return codes

    # --- throughput (issue 16 item 5) ---------------------------------------------------------------
    def throughput_refusal(self, sender: str) -> Reply | None:
        """More than the sender's rate of accepted sends in the trailing second: 429, code 20429 (not counted)."""
        rate = self.whatsapp_throughput if sender.startswith("whatsapp:") else self.sms_throughput
        with _limit_lock:
            now = time.monotonic()
            sent = self.sent_at.setdefault(sender, [])
            if rate is not None and sum(1 for t in sent if t > now - 1.0) >= rate:
                self.throttled.append((now, 20429))
                return Reply(429, twilio_error(20429, "Too Many Requests", 429))
            sent.append(now)
        return None

    def max_rate_seen(self, sender: str, window: float = 1.0) -> int:
        """The most sends `sender` (a From, "whatsapp:+..." for WhatsApp) had accepted within any `window` s."""
        return max_in_window(self.sent_at.get(sender, []), window)

    def _authorised(self, request: RecordedRequest) -> bool:
        import base64

        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def resource(self, sid: str, form: dict) -> dict:
        now = format_datetime(datetime.now(UTC))
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": form.get("To"),
            "uri": uri,
        }

    def on_dropped(self, request: RecordedRequest, body: dict | str) -> None:
        url = request.form.get("StatusCallback", "")
        if self.receipt_after is not None and url.startswith(("http://127.0.0.1", "http://localhost")):
            threading.Timer(self.receipt_after, self.send_status, args=(url, *self.receipt(request, body))).start()

    def receipt(self, request: RecordedRequest, body: dict | str, status: str = "delivered") -> tuple[str, str]:
        """(sid, status) of the callback for a request Twilio accepted (its answer may never have reached us)."""
        sid = body.get("sid", "SMLOST") if isinstance(body, dict) else "SMLOST"
        return sid, status

    # --- callbacks Twilio sends us ------------------------------------------------------------------
    def signed(self, url: str, params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        return urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }

    def status_params(
        self, sid: str, status: str, *, error_code: int | None = None, to: str = "", from_: str = ""
    ) -> dict:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": to,
            "From": from_,
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params

    def inbound_params(
        self, from_: str, body: str, *, to: str = "", replied_to: str = "", button_payload: str = ""
    ) -> dict:
        """An inbound SMS or WhatsApp message; with `button_payload`, a WhatsApp quick-reply button press (Twilio
        sends the button's text as the Body and ButtonText, its payload as ButtonPayload)."""
        if from_.startswith("whatsapp:"):
            self.open_session(from_)
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": f"SM{next(_ids):032x}",
            "SmsSid": "",
            "SmsStatus": "received",
            "From": from_,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
        }
        params["SmsSid"] = params["MessageSid"]
        if replied_to:
            params["OriginalRepliedMessageSid"] = replied_to
        if button_payload:
            params.update(ButtonPayload=button_payload, ButtonText=body, MessageType="button")
        return params

    def send_status(self, url: str, sid: str, status: str, **kwargs) -> int:
        return post(url, *self.signed(url, self.status_params(sid, status, **kwargs)))

    def send_inbound(self, url: str, from_: str, body: str, **kwargs) -> int:
        return post(url, *self.signed(url, self.inbound_params(from_, body, **kwargs)))
