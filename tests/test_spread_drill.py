"""Work spread over two web processes and two workers on one database and one broker: nothing doubled or lost.

The Procfile's web twice (two ports) and worker twice (threads pool, a hostname each); no beat: this process
runs the sweeper every second (as beat would, one process booting fewer on a 2-core CI runner); the fake Meta
(with delivery receipts) and Twilio of testkit/fakes. Finders scan distinct
codes from several threads, alternating web processes; some codes are scanned by two finders at the same
instant, one on each web process. One worker is SIGKILLed once while it works and the supervisor brings it back.
Then testkit.spread checks the database, the fakes' request records and the processes' logs. The bigger run
is `bin/drill --spread` (figures in docs/soak.md).
"""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection
from django.utils import timezone

from keryu_site.celery import app as celery_app
from messaging.services import channel_order_set, meta_template_status_update
from registry.models import EmergencyContact
from testkit.celery_worker import purge_queue
from testkit.fakes.counting import CountingMeta, CountingTwilio
from testkit.fakes.worker_env import worker_env
from testkit.procfile import Stack
from testkit.procs import child_env, free_port
from testkit.spread import (
    WEBS,
    WORKERS,
    Sweeper,
    spread_check,
    spread_drain,
    spread_plan,
    spread_run,
    spread_start,
)

from .factories import QRCodeFactory, SubjectFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not celery_app.conf.broker_url.startswith("redis"), reason="two workers share a queue: needs the Redis broker"
    ),
]

CODES = 40
PAIRS = 10  # codes scanned by two finders at once, one on each web process: 50 scans in all
FINDERS = 8


@pytest.fixture
def providers(settings):
    meta = CountingMeta(latency=0.02).start()
    twilio = CountingTwilio().start()
    settings.WHATSAPP_API_BASE_URL = meta.base_url
    settings.WHATSAPP_PHONE_NUMBER_ID = meta.phone_number_id
    settings.WHATSAPP_ACCESS_TOKEN = meta.token
    settings.WHATSAPP_APP_SECRET = meta.app_secret
    settings.TWILIO_API_BASE_URL = twilio.base_url
    settings.TWILIO_ACCOUNT_SID = twilio.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio.auth_token
    settings.TWILIO_PHONE_NUMBER = "+15005550006"
    settings.TWILIO_WHATSAPP_NUMBER = "+14155238886"
    channel_order_set(keys=["meta_whatsapp", "twilio_sms"])  # SMS: the next channel when a send is unconfirmed
    for language in ("es_MX", "en_US"):
        meta_template_status_update(name="qr_template_on_m", language_code=language, status="APPROVED")
    yield meta, twilio
    meta.stop()
    twilio.stop()


def _codes() -> list[str]:
    """Each code its own custodian's; every third subject has an emergency contact (told at once when INJURED)."""
    codes = []
    for index in range(CODES):
        subject = SubjectFactory()
        if index % 3 == 0:
            EmergencyContact.objects.create(
                subject=subject, name=f"Contact {index}", phone_number=f"+5255{60000000 + index:08d}", sort_order=0
            )
        codes.append(str(QRCodeFactory(subject=subject).uuid))
    return codes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the drill's one database is PostgreSQL")
def test_scans_spread_over_two_webs_and_two_workers_with_one_killed_are_each_delivered_exactly_once(
    providers, settings, tmp_path
):
    meta, twilio = providers
    codes = _codes()
    purge_queue()
    # The sweeper here and the workers: a dead worker's rows re-queued after 3 s (PENDING) or 10 s (PROCESSING);
    # an uncertain send with no receipt moves to the next channel after 10 s. Production: 15 s, 90 s, 45 s.
    # (Shorter leases on a loaded 2-core runner expire under live workers: harmless, but not this test's point.)
    timings = {
        "KERYU_SWEEP_GRACE_SECONDS": 3,
        "KERYU_PROCESSING_LEASE_SECONDS": 10,
        "KERYU_UNCERTAIN_RECEIPT_SECONDS": 10,
    }
    for name, seconds in timings.items():
        setattr(settings, name, seconds)
    ports = (free_port(), free_port())
    meta.webhook_urls = [f"http://127.0.0.1:{port}/webhooks/whatsapp/" for port in ports]
    env = child_env(
        worker_env(settings)
        | {
            "KERYU_BIND": "127.0.0.1",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
            "CELERY_CONCURRENCY": "4",
            **{name: str(seconds) for name, seconds in timings.items()},
            # Every finder here is 127.0.0.1 and pairs repeat codes on purpose.
            "KERYU_SCAN_POST_RATE_PER_IP": "100000/600",
            "KERYU_SCAN_GET_RATE_PER_IP": "100000/600",
            "KERYU_SCAN_POST_RATE_PER_CODE": "100000/600",
        }
    )
    events: list[tuple] = []
    stack = Stack(env=env, run_dir=tmp_path, redis=None, web_port=ports[0], events=lambda *e: events.append(e))
    try:
        spread_start(stack, ports=ports, beat=False)
        threading.Thread(target=stack.supervise, name="supervisor", daemon=True).start()
        bases = {web: f"http://127.0.0.1:{port}" for web, port in zip(WEBS, ports, strict=True)}
        jobs = spread_plan(codes, pairs=PAIRS, rng=random.Random(17))
        with Sweeper(every=1):
            scans, kill = spread_run(stack, bases, jobs, threads=FINDERS, kill_after_sends=6)
            drained = spread_drain(timeout=60)
        back = kill.wait_back(timeout=90) if kill is not None else None
        figures = spread_check(scans, fakes=(meta, twilio), run_dir=tmp_path, ended=timezone.now())
    finally:
        stack.stop_all()
    print(f"\nMEASURED {figures.line()}; {kill}; restarts {[e[:2] for e in events]}")
    print(f"MEASURED attempts by status {figures.attempts_by_status}, tasks per worker {figures.per_worker_tasks}")
    assert kill is not None and back is not None, "worker-a was never killed, or never came back"
    assert drained, f"work left after 60 s: {figures.attempts_by_status}"
    assert figures.accepted == figures.scans == CODES + PAIRS, figures.refused
    assert figures.alarms == CODES and figures.pair_codes == PAIRS and figures.joined == PAIRS
    assert figures.ok, "\n".join(figures.problems + figures.duplicates + figures.lost)
    assert all(figures.per_worker[w] for w in WORKERS) and all(figures.per_web_logged[w] for w in WEBS)
    assert figures.provider_requests == figures.recipients_due
