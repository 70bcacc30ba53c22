"""Run the fake Meta and Twilio APIs locally so the real adapters can be watched working.

    python -m testkit.fakes.serve            # prints the variables to export, then serves until Ctrl-C
    python -m testkit.fakes.serve --webhooks http://localhost:8000   # also deliver async failures there

Export the printed variables before `bin/run` (or put them in .env) and set KERYU_CHANNEL_ORDER, e.g.
meta_whatsapp,twilio_whatsapp,twilio_sms. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import time

from .meta import FakeMeta
from .twilio import FakeTwilio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhooks", default="", help="Keryu base URL to send status callbacks to")
    parser.add_argument(
        "--open-window",
        action="store_true",
        help="every 24-hour window open (by default a text to a number that has not written fails: 131047 / 63016)",
    )
    parser.add_argument("--statuses", default="in_order", choices=["", "in_order", "chaos"], help="status webhooks")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer (e.g. 0.1)")
    args = parser.parse_args()
    meta, twilio = FakeMeta(latency=args.latency).start(), FakeTwilio(latency=args.latency).start()
    if args.webhooks:
        meta.webhook_url = args.webhooks.rstrip("/") + "/webhooks/whatsapp/"
    meta.window_open = twilio.whatsapp_session_open = args.open_window
    meta.statuses = twilio.statuses = args.statuses if args.webhooks else ""
    print(
        f"""# fake providers running; export these:
WHATSAPP_API_BASE_URL={meta.base_url}
WHATSAPP_API_VERSION={meta.version}
WHATSAPP_PHONE_NUMBER_ID={meta.phone_number_id}
WHATSAPP_ACCESS_TOKEN={meta.token}
WHATSAPP_APP_SECRET={meta.app_secret}
TWILIO_API_BASE_URL={twilio.base_url}
TWILIO_ACCOUNT_SID={twilio.account_sid}
TWILIO_AUTH_TOKEN={twilio.auth_token}
TWILIO_PHONE_NUMBER=+15005550006
TWILIO_WHATSAPP_NUMBER=+14155238886""",
        flush=True,
    )
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            for request in (meta.requests + twilio.requests)[seen:]:
                print(f"{request.method} {request.path} ({len(request.body)} bytes)", flush=True)
            seen = len(meta.requests) + len(twilio.requests)
    except KeyboardInterrupt:
        meta.stop()
        twilio.stop()


if __name__ == "__main__":
    main()
