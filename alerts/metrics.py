"""Keryu's own Prometheus metrics, computed from the database (and the shared cache) at scrape time.

gunicorn runs several web processes and Celery its workers elsewhere; a counter kept in one process's
memory would show whichever process answered the scrape. Reading the database per scrape gives every
process the same answer, at the cost of a few aggregate queries per scrape (every 15-60 s).

The three latency histograms describe alarms raised in the last KERYU_METRICS_WINDOW_SECONDS: a sliding
window, not a cumulative count, so read them with `histogram_quantile(0.95, keryu_scan_to_delivered_seconds_bucket)`
directly, not through `rate()`. The same holds for `keryu_notification_attempts` (attempts written in the
window, by channel and current status).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from django.conf import settings
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from alerts.heartbeat import age, broker_queue_depth, last_beat, last_beat_pulse
from core.counters import token_bucket_waits
from messaging.models import Channel

from .models import SituationType
from .monitoring import (
    alarm_latencies,
    alarms_by_situation,
    alarms_unacknowledged_by_situation,
    attempts_by_channel_and_status,
    outbox_backlog,
    window_start,
)

# Seconds: a first provider request within a second, deliveries within minutes, acknowledgements within hours.
BUCKETS = (0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
LATENCIES = {
    "first_provider_request": "Seconds from the scan to the first provider request for its alarm.",
    "delivered": "Seconds from the scan to the first notification the provider reported delivered.",
    "acknowledged": "Seconds from the scan to the alarm's acknowledgement.",
}


def histogram(name: str, documentation: str, values: Iterable[float]) -> HistogramMetricFamily:
    values = sorted(values)
    buckets = [(str(float(b)), sum(1 for v in values if v <= b)) for b in BUCKETS] + [("+Inf", len(values))]
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=sum(values))


def _age_or_inf(seconds: float | None) -> float:
    """A heartbeat never written is infinitely old (an alert on `> 60` then fires; a missing series would not)."""
    return math.inf if seconds is None else seconds


class KeryuCollector(Collector):
    def describe(self) -> list[Metric]:
        """Names only: registering must not query the database (it runs at import, before any request)."""
        return []

    def collect(self) -> Iterator[Metric]:
        since = window_start(settings.KERYU_METRICS_WINDOW_SECONDS)

        alarms = CounterMetricFamily(
            "keryu_alarms", "Alarms raised (and still kept), by situation.", labels=["situation"]
        )
        unacked = GaugeMetricFamily(
            "keryu_alarms_unacknowledged",
            "Open, unresolved, non-test alarms nobody has acknowledged, by situation.",
            labels=["situation"],
        )
        counts, open_counts = alarms_by_situation(), alarms_unacknowledged_by_situation()
        for situation in SituationType.values:
            alarms.add_metric([situation], counts.get(situation, 0))
            unacked.add_metric([situation], open_counts.get(situation, 0))
        yield alarms
        yield unacked

        latencies = alarm_latencies(since=since)
        for key, doc in LATENCIES.items():
            yield histogram(f"keryu_scan_to_{key}_seconds", doc, getattr(latencies, key))

        attempts = GaugeMetricFamily(
            "keryu_notification_attempts",
            "Notification attempts written in the metrics window, by channel and outcome (current status).",
            labels=["channel", "outcome"],
        )
        for (channel, status), n in sorted(attempts_by_channel_and_status(since=since).items()):
            attempts.add_metric([channel, status.lower()], n)
        yield attempts

        backlog = outbox_backlog()
        yield GaugeMetricFamily(
            "keryu_outbox_due_attempts", "Notifications due and not yet claimed.", value=backlog.due
        )
        yield GaugeMetricFamily(
            "keryu_outbox_oldest_due_seconds",
            "How long the oldest due notification has waited (0 when none is due).",
            value=backlog.oldest_due_seconds or 0.0,
        )
        try:
            depth = float(broker_queue_depth())
        except Exception:
            depth = math.nan  # the broker did not answer: no number rather than a false 0
        yield GaugeMetricFamily(
            "keryu_broker_queue_depth", "Tasks waiting in the broker's queues (alarms and default).", value=depth
        )

        yield GaugeMetricFamily(
            "keryu_worker_heartbeat_age_seconds",
            "Seconds since a worker last wrote its heartbeat (+Inf: never).",
            value=_age_or_inf(age(last_beat())),
        )
        yield GaugeMetricFamily(
            "keryu_beat_heartbeat_age_seconds",
            "Seconds since beat's heartbeat task last ran (+Inf: never).",
            value=_age_or_inf(age(last_beat_pulse())),
        )

        waits = CounterMetricFamily(
            "keryu_token_bucket_waits",
            "Sends that waited for their sender's rate-limit token (messaging.services.limits).",
            labels=["channel"],
        )
        waited = CounterMetricFamily(
            "keryu_token_bucket_wait_seconds", "Seconds sends waited for rate-limit tokens.", labels=["channel"]
        )
        for channel, (n, seconds) in token_bucket_waits(channels=list(Channel.values)).items():
            waits.add_metric([channel], n)
            waited.add_metric([channel], seconds)
        yield waits
        yield waited
