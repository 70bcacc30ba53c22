"""What the soak did and what came of it: scans, alarms, deliveries, losses, duplicates and each fault's effect.

Sources: the scanner's own record of every HTTP answer, every request the fake providers received, the
email files, the database, and the processes' logs. Nothing is inferred from the application's own counters
alone: a send counts as delivered when a provider accepted it (or the email was written).
"""

from __future__ import annotations

import email
import itertools
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.policy import default as default_policy
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .fakes import Send
    from .scanner import Ack, Scan

ACK_TOKEN = re.compile(r"/alerts/ack/(\d+)\.(\d+):[\w-]+/")
WORKER_KILLS = ("kill-worker-child", "kill-worker")


@dataclass
class Delivered:
    """One message a provider accepted (or an email written), tied to the attempt it was for."""

    at: float
    channel: str
    message_id: int | None
    attempt_id: int | None


@dataclass
class Event:
    kind: str
    target: str
    began: float
    ended: float
    detail: str


@dataclass
class Inputs:
    started: float
    scanning_ended: float
    ended: float
    drained: bool
    scans: list[Scan]
    acks: list[Ack]
    sends: list[Send]
    events: list[Event]
    mail_dir: Path
    run_dir: Path
    receipts_sent: int
    receipts_failed: int
    settings: dict[str, object] = field(default_factory=dict)


RAW = ("scans", "sends", "acks", "events")


def save(inputs: Inputs) -> None:
    """The raw record (every scan, send, acknowledgement and event) next to the logs, written before the report
    is built so a report can always be rebuilt from it (`bin/drill --report-from <run dir>`)."""
    from dataclasses import asdict

    for name in RAW:
        with (inputs.run_dir / f"{name}.jsonl").open("w") as out:
            for row in getattr(inputs, name):
                data = asdict(row)
                data.pop("body", None)  # message texts stay out of files (they name people)
                out.write(json.dumps(data) + "\n")
    scalars = {k: v for k, v in vars(inputs).items() if k not in RAW and not isinstance(v, Path)}
    (inputs.run_dir / "inputs.json").write_text(json.dumps(scalars, indent=1))


def load(run_dir: Path) -> Inputs:
    from .fakes import Send
    from .scanner import Ack, Scan

    kinds = {"scans": Scan, "sends": Send, "acks": Ack, "events": Event}
    raw = {
        name: [kinds[name](**json.loads(line)) for line in (run_dir / f"{name}.jsonl").read_text().splitlines()]
        for name in RAW
    }
    scalars = json.loads((run_dir / "inputs.json").read_text())
    return Inputs(**scalars, **raw, mail_dir=run_dir / "mail", run_dir=run_dir)


def emails(mail_dir: Path) -> list[tuple[float, int | None]]:
    """(time written, attempt id from the acknowledgement link) per email in the file outbox."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            msg = email.message_from_bytes(chunk, policy=default_policy)
            text = ""
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    text += part.get_content()
            match = ACK_TOKEN.search(text)
            found.append((path.stat().st_mtime, int(match.group(2)) if match else None))
    return found


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def clock(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S")


def build(inputs: Inputs) -> tuple[str, dict[str, object]]:
    from alerts.models import Alarm, NotificationAttempt, NotificationStatus

    alarms = {a["pk"]: a for a in Alarm.objects.values("pk", "timestamp", "situation_type", "acknowledged_at")}
    attempts = {
        a["pk"]: a
        for a in NotificationAttempt.objects.values(
            "pk",
            "alarm_id",
            "recipient_key",
            "recipient_kind",
            "channel",
            "wave",
            "status",
            "not_before",
            "message_id",
            "created_at",
            "error",
            "sent_at",
            "update_seq",
        )
    }
    by_message = {a["message_id"]: pk for pk, a in attempts.items() if a["message_id"]}

    # --- deliveries --------------------------------------------------------------------------------
    delivered: list[Delivered] = [
        Delivered(s.at, s.channel, s.message_id, by_message.get(s.message_id)) for s in inputs.sends if s.accepted
    ]
    mails = emails(inputs.mail_dir)
    delivered += [Delivered(at, "email", None, attempt_id) for at, attempt_id in mails]
    unmapped = [d for d in delivered if d.attempt_id is None or d.attempt_id not in attempts]
    per_attempt: dict[int, list[Delivered]] = defaultdict(list)
    for d in delivered:
        if d.attempt_id in attempts:
            per_attempt[d.attempt_id].append(d)
    reached: set[tuple[int, str]] = set()
    first_custodian: dict[int, float] = {}
    for attempt_id, ds in per_attempt.items():
        a = attempts[attempt_id]
        reached.add((a["alarm_id"], a["recipient_key"]))
        if a["recipient_kind"] == "custodian":
            t = min(d.at for d in ds)
            first_custodian[a["alarm_id"]] = min(t, first_custodian.get(a["alarm_id"], t))

    # --- scans and alarms ----------------------------------------------------------------------------
    scans = inputs.scans
    accepted = [s for s in scans if s.accepted]
    seen_alarms: dict[int, Scan] = {}
    joined = 0
    for s in sorted(accepted, key=lambda s: s.at):
        if s.alarm_id in seen_alarms:
            joined += 1
        else:
            seen_alarms[s.alarm_id] = s
    lost_no_row = sorted({s.alarm_id for s in accepted if s.alarm_id not in alarms})
    lost_unnotified = sorted(pk for pk in alarms if pk not in first_custodian)
    lost = len(lost_no_row) + len(lost_unnotified)
    orphan_alarms = sorted(set(alarms) - set(seen_alarms))
    refused = Counter(s.error or f"HTTP {s.status}" for s in scans if not s.accepted)

    # Recipients due by the end (not cancelled by an acknowledgement, not scheduled later) never reached.
    end_dt = datetime.fromtimestamp(inputs.ended, UTC)
    due_unreached: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for a in attempts.values():
        key = (a["alarm_id"], a["recipient_key"])
        if key in reached or a["status"] == NotificationStatus.CANCELLED:
            continue
        if a["not_before"] is not None and a["not_before"] > end_dt and a["status"] == NotificationStatus.PENDING:
            continue
        due_unreached[key].append(a)
    unreached_reasons = Counter(
        "every channel refused (FAILED; the periodic retry re-queues one channel every 10 min)"
        if all(a["status"] == NotificationStatus.FAILED for a in rows)
        else "still in flight: " + ",".join(sorted({a["status"] for a in rows}))
        for rows in due_unreached.values()
    )
    scheduled_later = sum(
        1
        for a in attempts.values()
        if a["status"] == NotificationStatus.PENDING and a["not_before"] is not None and a["not_before"] > end_dt
    )

    # --- duplicates ----------------------------------------------------------------------------------
    # The uncertain-outcome rule: once a provider may have taken a message (it answered, or took the request
    # and the answer was lost), that recipient is never sent the same notice again on that channel. An
    # attempt is one (alarm, update, recipient, channel), so every provider-taken request beyond the first on
    # one attempt is a duplicate, whatever caused it (a worker kill, a lost answer, a retry).
    kills = [e for e in inputs.events if e.kind in WORKER_KILLS]
    drops = [e for e in inputs.events if e.kind == "provider-accept-drop"]
    real_dups: list[str] = []
    dups_by_channel: Counter[str] = Counter()
    intentional = Counter()
    groups: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    for attempt_id in per_attempt:
        a = attempts[attempt_id]
        groups[(a["alarm_id"], a["recipient_key"], a["update_seq"])].append(attempt_id)
    for (alarm_id, key, seq), ids in sorted(groups.items()):
        for attempt_id in ids:
            ds = sorted(per_attempt[attempt_id], key=lambda d: d.at)
            for first, again in itertools.pairwise(ds):
                kill = next((k for k in kills if first.at - 1 <= k.began <= again.at), None)
                drop = next((e for e in drops if e.began - 1 <= first.at <= e.ended + 1), None)
                if drop is not None:
                    why = f"sent again after the answer was lost ({drop.kind} at {clock(drop.began)})"
                elif kill is not None:
                    why = f"sent again after {kill.kind} at {clock(kill.began)} ({again.at - first.at:.0f} s later)"
                else:
                    why = "sent again, no fault in between: UNEXPLAINED"
                channel = attempts[attempt_id]["channel"]
                dups_by_channel[channel] += 1
                real_dups.append(f"alarm {alarm_id} · {key} · update {seq} · {channel} (attempt {attempt_id}): {why}")
        if len(ids) > 1:
            ordered = sorted(ids, key=lambda i: attempts[i]["created_at"])
            for later in ordered[1:]:
                before = [attempts[i] for i in ordered if attempts[i]["created_at"] < attempts[later]["created_at"]]
                if any(b["status"] in ("UNCERTAIN", "UNCONFIRMED") for b in before):
                    intentional["next channel after an uncertain send got no receipt in time"] += 1
                elif any(b["status"] in ("FAILED", "UNDELIVERED") for b in before):
                    intentional["fallback after a provider-reported failure"] += 1
                else:
                    intentional["WhatsApp follow-up: no delivery receipt within the policy's timeout"] += 1
    dropped_sends = sum(1 for s in inputs.sends if getattr(s, "dropped", False))
    bursts = [e for e in inputs.events if e.kind == "report-burst"]
    burst_scans = [s for s in scans if getattr(s, "burst", False)]
    burst_codes = {s.code for s in burst_scans}
    burst_alarm_sets = {c: {s.alarm_id for s in burst_scans if s.code == c and s.alarm_id} for c in burst_codes}
    burst_sends = Counter()
    for attempt_id, ds in per_attempt.items():
        a = attempts[attempt_id]
        if any(a["alarm_id"] in ids for ids in burst_alarm_sets.values()) and a["update_seq"] == 0:
            burst_sends[(a["alarm_id"], a["recipient_key"], a["channel"])] += len(ds)
    # Provider accepted, the worker died before recording SENT, and the delivery receipt closed the row:
    # the at-least-once window that did not turn into a duplicate.
    receipt_closed = sum(1 for a in attempts.values() if a["status"] in ("DELIVERED", "READ") and a["sent_at"] is None)
    escalated = sum(len(per_attempt[i]) for i in per_attempt if attempts[i]["wave"] > 0)
    if escalated:
        intentional["escalation re-notification (no acknowledgement in time)"] = escalated

    # --- latency and the faults' effect -----------------------------------------------------------------
    latencies = [s.latency for s in scans if s.latency is not None and s.status is not None]
    delays = {pk: first_custodian[pk] - seen_alarms[pk].at for pk in seen_alarms if pk in first_custodian}
    faults = [e for e in inputs.events if e.kind not in ("restart", "restart-failed")]

    def in_any_fault(t: float) -> bool:
        return any(e.began - 5 <= t <= e.ended + 120 for e in faults)

    calm = [d for pk, d in delays.items() if not in_any_fault(seen_alarms[pk].at)]
    timeline = []
    for e in sorted(inputs.events, key=lambda e: e.began):
        window = [s for s in scans if e.began <= s.at <= e.ended + 60]
        answered = [s.latency for s in window if s.latency is not None and s.status is not None]
        affected = [delays[pk] for pk, s in seen_alarms.items() if e.began - 5 <= s.at <= e.ended + 60 and pk in delays]
        timeline.append(
            f"| {clock(e.began)} | {e.kind} | {e.target} | {e.ended - e.began:.0f} s | {e.detail} | "
            f"{len(window)} / {sum(1 for s in window if s.accepted)} | {fmt_s(max(answered) if answered else None)} | "
            f"{fmt_s(max(affected) if affected else None)} |"
        )

    logs = log_findings(inputs.run_dir)
    acked = {a.alarm_id for a in inputs.acks if a.acknowledged}
    ack_errors = Counter(a.error or f"HTTP {a.status}" for a in inputs.acks if not a.acknowledged)
    channel_counts = Counter(d.channel for d in delivered)
    failed_sends = Counter(f"{s.channel} HTTP {s.status} code {s.error_code}" for s in inputs.sends if not s.accepted)

    figures: dict[str, object] = {
        "scans": len(scans),
        "accepted": len(accepted),
        "joined": joined,
        "alarms": len(alarms),
        "lost": lost,
        "delivered": len(delivered),
        "real_duplicates": len(real_dups),
        "duplicates_by_channel": dict(dups_by_channel),
        "bursts": len(bursts),
        "burst_alarms": {c[:8]: len(v) for c, v in burst_alarm_sets.items()},
        "due_unreached": len(due_unreached),
    }
    s = inputs.settings
    lines = [
        f"## Soak {datetime.fromtimestamp(inputs.started, UTC):%Y-%m-%d %H:%M} UTC · commit {s.get('commit')} · {s.get('machine')}",
        "",
        f"`bin/drill {s.get('argv')}` — {(inputs.scanning_ended - inputs.started) / 60:.1f} min of scanning, "
        f"then {'drained' if inputs.drained else 'drain timed out'} in {inputs.ended - inputs.scanning_ended:.0f} s. "
        f"{s.get('stack')}",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| scans sent | {len(scans)} ({sum(s.repeat for s in scans)} deliberate repeats of a code within the cooldown) |",
        f"| accepted (redirect to the confirmation page) | {len(accepted)} |",
        f"| refused or errored | {len(scans) - len(accepted)}: "
        + (", ".join(f"{k} × {v}" for k, v in refused.most_common()) or "none")
        + " |",
        f"| accepted scans that joined an alarm already raised | {joined} |",
        f"| alarms created (rows) | {len(alarms)} ({len(orphan_alarms)} without an accepted scan: answer lost to a fault) |",
        f"| **lost** | **{lost}** (accepted scan without an alarm row: {len(lost_no_row)}; alarm whose custodian got nothing: {len(lost_unnotified)}) |",
        f"| messages delivered | {len(delivered)}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(channel_counts.items()))
        + " |",
        f"| provider refusals (retried or fallen back) | {sum(failed_sends.values())}: "
        + (", ".join(f"{k} × {v}" for k, v in failed_sends.most_common(6)) or "none")
        + " |",
        f"| sends not traceable to an attempt | {len(unmapped)} |",
        f"| **duplicates** (same alarm, update and recipient sent more than once on one channel, uncertain sends "
        f"included) | **{len(real_dups)}**"
        + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(dups_by_channel.items())) + ")" if dups_by_channel else "")
        + " |",
        f"| sends the provider took whose answer was lost (accept-then-drop) | {dropped_sends} |",
        f"| bursts of concurrent reports on one code | {len(bursts)}: "
        + (
            "; ".join(
                f"{sum(1 for s in burst_scans if s.code == c)} reports -> {len(v)} alarm(s), "
                f"{sum(1 for s in burst_scans if s.code == c and s.accepted)} accepted, "
                f"max first-notice sends per recipient and channel "
                f"{max((n for (al, _, _), n in burst_sends.items() if al in v), default=0)}"
                for c, v in sorted(burst_alarm_sets.items())
            )
            or "none"
        )
        + " |",
        f"| sends interrupted by a worker kill after the provider accepted, closed by the delivery receipt (no resend) | {receipt_closed} |",
        "| intentional repeats (not duplicates) | "
        + (", ".join(f"{k}: {v}" for k, v in intentional.items()) or "none")
        + " |",
        f"| due recipients never reached | {len(due_unreached)}"
        + (": " + ", ".join(f"{k} × {v}" for k, v in unreached_reasons.items()) if due_unreached else "")
        + f" ({scheduled_later} rows still scheduled for later, not due) |",
        f"| acknowledged through the link | {len(acked)} alarms"
        + (f" (failed tries: {', '.join(f'{k} × {v}' for k, v in ack_errors.items())})" if ack_errors else "")
        + " |",
        f"| delivery receipts posted back | {inputs.receipts_sent} ({inputs.receipts_failed} given up) |",
        f"| scan latency | p50 {fmt_s(pct(latencies, 0.5))}, p95 {fmt_s(pct(latencies, 0.95))}, max {fmt_s(max(latencies) if latencies else None)} |",
        f"| scan to custodian's first message | calm p50 {fmt_s(pct(calm, 0.5))}, p95 {fmt_s(pct(calm, 0.95))}; "
        f"all p95 {fmt_s(pct(list(delays.values()), 0.95))}, max {fmt_s(max(delays.values()) if delays else None)} |",
        "",
    ]
    if lost_no_row or lost_unnotified:
        lines += ["Lost:", ""]
        lines += [f"- accepted scan, alarm {pk} has no row" for pk in lost_no_row[:20]]
        lines += [f"- alarm {pk}: the custodian got no message" for pk in lost_unnotified[:20]]
        lines.append("")
    if real_dups:
        lines += ["Duplicates, each explained:", ""] + [f"- {d}" for d in real_dups] + [""]
    if due_unreached:
        lines += ["Due recipients never reached:", ""]
        for (alarm_id, key), rows in list(due_unreached.items())[:15]:
            detail = "; ".join(f"{r['channel']} {r['status']} {r['error'][:60]}" for r in rows)
            lines.append(f"- alarm {alarm_id} · {key}: {detail}")
        lines.append("")
    lines += [
        "Faults and restarts (scans = sent / accepted from the fault's start to 60 s after its end; "
        "delay = longest scan-to-custodian-message among those scans):",
        "",
        "| at (UTC) | event | target | lasted | what | scans | max scan latency | max delivery delay |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *timeline,
        "",
    ]
    if logs:
        lines += ["From the process logs:", ""] + [f"- {x}" for x in logs] + [""]
    return "\n".join(lines), figures


def log_findings(run_dir: Path) -> list[str]:
    """Counts of the lines that say something went wrong or was recovered, per process log."""
    patterns = {
        "worker": [
            ("worker lease expired", "rows re-queued by the sweeper after a worker died"),
            ("not queued (broker down or slow)", "publishes skipped while the broker was away"),
            ("Traceback", "tracebacks"),
            ("Connection to broker lost", "broker connection lost"),
        ],
        "web": [
            ("not queued (broker down or slow)", "scans whose queueing waited for the sweeper"),
            ("Traceback", "tracebacks"),
            ("WORKER TIMEOUT", "gunicorn worker timeouts"),
        ],
        "beat": [("Traceback", "tracebacks"), ("beat: Starting", "starts")],
    }
    found = []
    for name, checks in patterns.items():
        path = run_dir / f"{name}.log"
        if not path.exists():
            continue
        text = path.read_text(errors="replace")
        counts = [f"{label} {text.count(needle)}" for needle, label in checks if text.count(needle)]
        errors = Counter(
            m.group(1)[:120] for m in re.finditer(r"^(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", text, re.MULTILINE)
        )
        if errors:
            counts.append("exceptions: " + "; ".join(f"{k} × {v}" for k, v in errors.most_common(5)))
        if counts:
            found.append(f"{name}: " + ", ".join(counts))
    return found
