"""Private processes for the reliability tests: celery beat, a Redis server of our own, a web server.

Everything here is started and stopped by the test that needs it, on its own port; the shared Redis and
PostgreSQL are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from keryu_site.celery import app as celery_app

from .celery_worker import WorkerProcess, test_database_url, wait_for

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keryu_site.settings.test",
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def kill_hard(worker: WorkerProcess) -> None:
    """SIGKILL the worker's pool children and the worker itself: a machine losing the process."""
    for pid in children_of(worker.proc.pid):
        os.kill(pid, signal.SIGKILL)
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(timeout=10)


@contextmanager
def running_beat(env: dict[str, str]) -> Iterator[WorkerProcess]:
    cmd = [sys.executable, "-m", "celery", "-A", "keryu_site", "beat", "--loglevel", "INFO",
           "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile="]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=child_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    beat = WorkerProcess(proc)
    try:
        wait_for(lambda: any("beat: Starting" in line for line in beat.lines) or proc.poll() is not None, timeout=30)
        yield beat
    finally:
        beat.stop()


def fast_sweeper(seconds: int = 1) -> None:
    """Run the sweeper every `seconds` (the periodic task staff would tune in /ops/)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task="alerts.sweep").update(interval=every)
    PeriodicTask.objects.exclude(task__in=["alerts.sweep"]).update(enabled=False)


class RedisServer:
    """A private redis-server without persistence, on its own port, that a test may stop and start."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def hang(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers (a hung Redis)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@contextmanager
def running_web(env: dict[str, str], *, workers: int = 1, threads: int = 4, boot_timeout: float = 60) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "keryu_site.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--threads", str(threads), "--timeout", "30"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=child_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    web = WorkerProcess(proc)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        """Gunicorn listens before its worker has loaded Django: up once a request gets an HTTP answer."""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.settimeout(30)
                s.sendall(b"GET /health/live HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return s.recv(5) == b"HTTP/"
        except OSError:
            return proc.poll() is not None

    try:
        wait_for(up, timeout=boot_timeout)
        if proc.poll() is not None:
            raise AssertionError("web server exited:\n" + web.output)
        time.sleep(0.2)
        yield url
    finally:
        web.stop()
