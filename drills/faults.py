"""The faults, injected one at a time in rotation: each logs what it did, when, and to which process."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from testkit.procfile import Stack
from testkit.procs import children_of

from .fakes import Behaviour
from .scanner import Scanner

ROTATION = [
    "kill-worker-child",
    "redis-hang",
    "meta-500",
    "kill-worker",
    "redis-down",
    "provider-permanent",
    "kill-web",
    "meta-and-twilio-500",
    "kill-beat",
    "provider-accept-drop",
    "postgres-terminate",
    "report-burst",
]


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _inodes_talking_to(ports: set[int]) -> set[str]:
    """Inodes of established TCP connections whose remote end is one of `ports` on this machine."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and remote_port in ports:  # 01: ESTABLISHED
                found.add(fields[9])
    return found


def busy_child(worker_pid: int, ports: set[int]) -> int | None:
    """A worker pool child that is in the middle of a provider call right now, if any."""
    talking = _inodes_talking_to(ports)
    for child in children_of(worker_pid):
        if _socket_inodes(child) & talking:
            return child
    return None


class Faults:
    def __init__(
        self,
        *,
        stack: Stack,
        meta: Behaviour,
        twilio: Behaviour,
        provider_ports: set[int],
        event: Callable[..., None],
        rng: random.Random,
        database_url: str = "",
        scanner: Scanner | None = None,
    ) -> None:
        self.database_url = database_url
        self.scanner = scanner
        self.stack = stack
        self.meta = meta
        self.twilio = twilio
        self.ports = provider_ports
        self.event = event
        self.rng = rng
        self.stop = threading.Event()

    def run(self, every: float, rotation: list[str] = ROTATION) -> None:
        index = 0
        while not self.stop.wait(every * self.rng.uniform(0.8, 1.2)):
            name = rotation[index % len(rotation)]
            index += 1
            getattr(self, name.replace("-", "_"))()

    def _sleep(self, seconds: float) -> None:
        """Wait out a fault's duration, but end it early when the drill stops."""
        self.stop.wait(seconds)

    # --- the worker ----------------------------------------------------------------------------
    def kill_worker_child(self) -> None:
        began = time.time()
        worker = self.stack.pid("worker")
        if worker is None:
            return
        deadline = time.monotonic() + 60
        child = None
        while child is None and time.monotonic() < deadline and not self.stop.is_set():
            child = busy_child(worker, self.ports)
            if child is None:
                time.sleep(0.005)
        detail = "mid-flight (connected to a provider)"
        if child is None:
            children = children_of(worker)
            if not children:
                return
            child, detail = self.rng.choice(children), "no provider call seen in 60 s; a random child"
        os.kill(child, signal.SIGKILL)
        self.event("kill-worker-child", f"pid {child}", began, time.time(), detail)

    def kill_worker(self) -> None:
        began = time.time()
        killed = self.stack.kill_tree("worker")
        self.event("kill-worker", f"pids {killed}", began, time.time(), "SIGKILL worker and pool children")

    def kill_beat(self) -> None:
        began = time.time()
        killed = self.stack.kill_tree("beat")
        self.event("kill-beat", f"pids {killed}", began, time.time(), "SIGKILL beat")

    def kill_web(self) -> None:
        began = time.time()
        killed = self.stack.kill_tree("web")
        self.event("kill-web", f"pids {killed}", began, time.time(), "SIGKILL gunicorn master and workers")

    # --- Redis ---------------------------------------------------------------------------------
    def redis_down(self) -> None:
        began = time.time()
        seconds = self.rng.uniform(30, 60)
        self.stack.hold("redis", True)
        pid = self.stack.pid("redis")
        self.stack.redis.stop()  # SIGKILL: a crash, not a clean shutdown
        self._sleep(seconds)
        self.stack.hold("redis", False)  # the supervisor starts it again; AOF replays the queue
        self.event("redis-down", f"pid {pid}", began, time.time(), f"SIGKILL, held down {seconds:.0f} s")

    def redis_hang(self) -> None:
        began = time.time()
        pid = self.stack.pid("redis")
        if pid is None:
            return
        seconds = 30
        os.kill(pid, signal.SIGSTOP)
        self._sleep(seconds)
        os.kill(pid, signal.SIGCONT)
        self.event("redis-hang", f"pid {pid}", began, time.time(), f"SIGSTOP {seconds} s, then SIGCONT")

    # --- providers -----------------------------------------------------------------------------
    def meta_500(self) -> None:
        began = time.time()
        self.meta.failing_until = time.monotonic() + 60
        self._sleep(60)
        self.meta.failing_until = 0
        self.event("meta-500", "fake Meta", began, time.time(), "every send answered 500 for 60 s")

    def meta_and_twilio_500(self) -> None:
        began = time.time()
        self.meta.failing_until = time.monotonic() + 120
        self._sleep(60)
        self.twilio.failing_until = time.monotonic() + 60
        self._sleep(60)
        self.meta.failing_until = self.twilio.failing_until = 0
        self.event(
            "meta-and-twilio-500",
            "fake Meta, fake Twilio",
            began,
            time.time(),
            "Meta 500 for 120 s, Twilio too for the last 60 s",
        )

    def provider_permanent(self) -> None:
        began = time.time()
        for b in (self.meta, self.twilio):
            b.permanent_share = 0.3
            b.permanent_until = time.monotonic() + 90
        self._sleep(90)
        for b in (self.meta, self.twilio):
            b.permanent_until = 0
        self.event(
            "provider-permanent",
            "fake Meta, fake Twilio",
            began,
            time.time(),
            "30% of sends refused for 90 s (Meta 131026 undeliverable, Twilio 21610 unsubscribed)",
        )

    def provider_accept_drop(self) -> None:
        """Meta takes each send (the user will get it), then the connection drops before its answer: the
        outcome is uncertain, so Keryu must not send again on Meta; half the receipts come late, after the
        uncertain window, the other half never."""
        began = time.time()
        self.meta.drop_until = time.monotonic() + 60
        self._sleep(60)
        self.meta.drop_until = 0
        self.event(
            "provider-accept-drop",
            "fake Meta",
            began,
            time.time(),
            "every send accepted, then the connection closed unanswered, for 60 s (receipts: half late, half never)",
        )

    def postgres_terminate(self) -> None:
        """Every backend of the drill's database is terminated at once (a failover, a restarted pooler)."""
        import psycopg

        began = time.time()
        name = self.database_url.rsplit("/", 1)[-1]
        admin = self.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchone()[0]
        self.event("postgres-terminate", f"database {name}", began, time.time(), f"{killed} backends terminated")

    def report_burst(self) -> None:
        """Fifty finders report one code at the same instant (a crowd around one child): one alarm, one
        message per recipient and channel."""
        if self.scanner is None:
            return
        began = time.time()
        code, alarms = self.scanner.burst(50)
        self.event(
            "report-burst",
            f"code {code[:8]}",
            began,
            time.time(),
            f"50 concurrent reports of one code -> {len(alarms)} alarm(s) {sorted(alarms)}",
        )

    def heal(self) -> None:
        """Undo whatever is in force: the drill is stopping."""
        self.meta.failing_until = self.twilio.failing_until = 0
        self.meta.permanent_until = self.twilio.permanent_until = 0
        self.meta.drop_until = 0
        pid = self.stack.pid("redis")
        if pid and self.stack.redis.alive():
            os.kill(pid, signal.SIGCONT)
        self.stack.hold("redis", False)
