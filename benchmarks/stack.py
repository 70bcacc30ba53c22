"""The processes of a run, started through the shared test helpers (testkit) and stopped on any exit.

- the fake Meta API (testkit/fakes), in this process, answering every request after `latency` seconds;
- gunicorn (testkit.procs.running_web) with the run's workers and threads;
- Celery workers (testkit.celery_worker.running_worker), started per section with the run's pool.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.conf import settings

from testkit.celery_worker import WorkerProcess, running_worker
from testkit.fakes.meta import FakeMeta
from testkit.procs import running_web

from .config import Config

CHILD = {"DJANGO_SETTINGS_MODULE": "benchmarks.settings"}


def wait_for_workers(base_url: str, workers: int, *, timeout: float = 300) -> int:
    """Until every gunicorn worker has answered (each boots Django on its own; a busy machine takes seconds)."""
    import time

    import requests

    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers and time.monotonic() < deadline:
        try:
            # A new connection each time: the workers race to accept it, so every booted worker gets some.
            answer = requests.get(f"{base_url}/bench/trivial/", timeout=5, headers={"Connection": "close"})
            seen.add(answer.text.split()[-1])
        except requests.RequestException:
            time.sleep(0.2)
    return len(seen)


class Stack:
    def __init__(self, config: Config, exits: ExitStack) -> None:
        self.config = config
        self.exits = exits
        self.meta: FakeMeta | None = None
        self.base_url = ""

    def start_fake(self) -> FakeMeta:
        meta = FakeMeta(latency=self.config.provider_latency).start()
        # A number on Meta's upgraded throughput (up to 1,000 messages a second) with an unlimited conversation
        # tier, as benchmarks.config sets for our side: the runs measure Keryu's cost per send, not Meta's
        # default 80/s (which the token bucket keeps to, tests/messaging/test_send_limits.py) or 250 conversations.
        meta.throughput = 1000.0
        meta.pair_limit = None
        self.exits.callback(meta.stop)
        # Children read it from the environment; this process (which raises alarms itself) from settings.
        os.environ["WHATSAPP_API_BASE_URL"] = meta.base_url
        settings.WHATSAPP_API_BASE_URL = meta.base_url
        self.meta = meta
        return meta

    def start_web(self) -> str:
        self.base_url = self.exits.enter_context(
            running_web(
                self.child_env(),
                workers=self.config.web_workers,
                threads=self.config.web_threads,
                boot_timeout=300,  # 4 workers booting Django at once on a loaded 2-core machine: 60 s was short
            )
        )
        wait_for_workers(self.base_url, self.config.web_workers)
        return self.base_url

    def child_env(self) -> dict[str, str]:
        return {**CHILD, "WHATSAPP_API_BASE_URL": os.environ.get("WHATSAPP_API_BASE_URL", "")}

    @contextmanager
    def worker(
        self,
        *,
        pool: str | None = None,
        concurrency: int | None = None,
        processes: int | None = None,
        purge: bool = True,
    ) -> Iterator[WorkerProcess]:
        """`config.worker_processes` worker processes (the first purges the queue unless told not to)."""
        with ExitStack() as workers:
            first = None
            for index in range(processes or self.config.worker_processes):
                started = workers.enter_context(
                    running_worker(
                        pool=pool or self.config.worker_pool,
                        concurrency=concurrency or self.config.worker_concurrency,
                        env=self.child_env(),
                        purge=purge and index == 0,
                    )
                )
                first = first or started
            yield first

    def provider_requests(self) -> int:
        assert self.meta is not None
        return len(self.meta.requests)

    def provider_messages(self, since: int = 0) -> dict[int, float]:
        """Our message id -> when its first request reached the fake, for requests after index `since`.

        A retried send reaches the provider twice; counting messages, not requests, counts each once.
        """
        assert self.meta is not None
        first: dict[int, float] = {}
        for request in self.meta.requests[since:]:
            message_id = int(json.loads(request.body).get("biz_opaque_callback_data", 0))
            first.setdefault(message_id, request.received_at)
        return first
