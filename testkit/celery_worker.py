"""Start a real Celery worker process against the test database and the configured broker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from keryu_site.celery import app as celery_app

ROOT = Path(settings.BASE_DIR)


def test_database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test database), for a child process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1) -> object:
    """Poll until predicate() is truthy; fail after timeout seconds (a bound, not a performance assert)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 180) -> None:
        try:
            wait_for(
                lambda: any(" ready." in line for line in self.lines) or self.proc.poll() is not None, timeout=timeout
            )
        except AssertionError:
            raise AssertionError("worker did not start:\n" + self.output) from None
        if self.proc.poll() is not None:
            raise AssertionError("worker exited:\n" + self.output)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def purge_queue() -> None:
    try:
        celery_app.control.purge()
    except Exception:  # a transport without purge support has nothing to purge either
        pass


@contextmanager
def running_worker(
    *,
    pool: str = "prefork",
    concurrency: int = 2,
    env: dict[str, str] | None = None,
    purge: bool = True,
    queues: str = "alarms,default",
) -> Iterator[WorkerProcess]:
    """A worker process consuming `queues` (the Procfile's: both, `alarms` first); `purge=False` keeps what
    is already queued (a backlog the caller wants drained)."""
    if purge:
        purge_queue()
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keryu_site.settings.test",
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "keryu_site", "worker", "--loglevel", "INFO",
        "--queues", queues, "--pool", pool, "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
        "--without-heartbeat",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = WorkerProcess(proc)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
