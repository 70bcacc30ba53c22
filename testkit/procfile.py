"""The drill's processes: its own redis-server (AOF on), the Procfile's web, worker and beat, and a small
supervisor that restarts whatever dies the way systemd (`Restart=always`, `RestartSec=2`) does in production.
"""

from __future__ import annotations

import ctypes
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .celery_worker import WorkerProcess, wait_for
from .procs import RedisServer, children_of

ROOT = Path(__file__).resolve().parent.parent
RESTART_SEC = 2.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the drill dies, so a crashed drill leaves no processes behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def procfile_command(name: str, env: dict[str, str]) -> list[str]:
    """The Procfile's line for `name`, with ${VAR:-default} expanded from env: the drill runs what production runs."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, _, command = line.partition(":")
        if key.strip() == name:

            def expand(match: re.Match) -> str:
                return env.get(match.group(1)) or (match.group(3) or "")

            expanded = re.sub(r"\$\{(\w+)(:-([^}]*))?\}", expand, command)
            return shlex.split(expanded)
    raise KeyError(name)


class LoggedProcess(WorkerProcess):
    """testkit.celery_worker.WorkerProcess writing every line to a log file and keeping only the recent ones."""

    def __init__(self, proc: subprocess.Popen, log_path: Path) -> None:
        self.log_path = log_path
        super().__init__(proc)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.log_path.open("a") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                self.lines.append(line.rstrip())
                if len(self.lines) > 4000:
                    del self.lines[:2000]


class AofRedis(RedisServer):
    """testkit.procs.RedisServer with production persistence: append-only file, fsync every second."""

    def __init__(self, data_dir: Path, port: int) -> None:
        super().__init__()
        self.port = port
        self.data_dir = data_dir

    def start(self) -> None:
        assert self.binary
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
               "--appendfsync", "everysec", "--dir", str(self.data_dir)]  # fmt: skip
        log = (self.data_dir / "redis.log").open("a")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        wait_for(self._answers, timeout=30)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return bool(self.proc) and self.proc.poll() is None

    def kill(self) -> None:
        self.stop()


class Managed:
    """One supervised service: how to start it, how to tell it is up, and whether the drill holds it down."""

    def __init__(self, name: str, start: Callable[[], None], alive: Callable[[], bool]) -> None:
        self.name = name
        self.start = start
        self.alive = alive
        self.held = False  # a fault keeps it down on purpose (an outage longer than a restart)
        self.restarts = 0


class Stack:
    """Web, worker and beat from the Procfile plus Redis, all started with the drill's environment."""

    def __init__(
        self, *, env: dict[str, str], run_dir: Path, redis: AofRedis, web_port: int, events: Callable[..., None]
    ) -> None:
        self.env = env
        self.run_dir = run_dir
        self.web_port = web_port
        self.event = events
        self.redis = redis
        self.procs: dict[str, LoggedProcess] = {}
        self.services: dict[str, Managed] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # --- starting --------------------------------------------------------------------------------
    def spawn(self, name: str) -> LoggedProcess:
        cmd = procfile_command(name, self.env)
        cmd[0] = str(Path(sys.executable).parent / cmd[0])  # the venv's gunicorn / celery
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_die_with_parent,
        )
        logged = LoggedProcess(proc, self.run_dir / f"{name}.log")
        self.procs[name] = logged
        if name == "worker":
            logged.wait_ready(timeout=90)
        elif name == "beat":
            wait_for(lambda: any("beat: Starting" in x for x in logged.lines) or proc.poll() is not None, timeout=60)
        elif name == "web":
            wait_for(lambda: self.web_answers() or proc.poll() is not None, timeout=60)
        return logged

    def web_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.web_port), timeout=0.5):
                return True
        except OSError:
            return False

    def start_all(self) -> None:
        self.redis.start()
        self.services["redis"] = Managed("redis", self.redis.start, self.redis.alive)
        for name in ("web", "worker", "beat"):
            self.spawn(name)
            self.services[name] = Managed(name, lambda n=name: self.spawn(n), lambda n=name: self._alive(n))
        self._write_pids()

    def _alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.proc.poll() is None

    def _write_pids(self) -> None:
        pids = {n: p.proc.pid for n, p in self.procs.items()} | {"redis": self.redis.pid}
        (self.run_dir / "pids").write_text("".join(f"{n} {p}\n" for n, p in pids.items()))

    # --- the supervisor ----------------------------------------------------------------------------
    def supervise(self) -> None:
        """Restart any service that died and is not held down, RESTART_SEC after noticing (systemd-like)."""
        while not self._stop.is_set():
            for service in self.services.values():
                if self._stop.is_set():
                    break
                with self._lock:
                    if service.held or service.alive():
                        continue
                if self._stop.wait(RESTART_SEC):
                    break
                with self._lock:
                    if service.held or service.alive():
                        continue
                    began = time.time()
                    try:
                        service.start()
                        service.restarts += 1
                        self.event("restart", service.name, began, time.time(), "supervisor restarted it")
                    except Exception as exc:  # keep supervising; try again next round
                        self.event("restart-failed", service.name, began, time.time(), repr(exc)[:200])
                    self._write_pids()
            self._stop.wait(0.5)

    def hold(self, name: str, held: bool) -> None:
        with self._lock:
            self.services[name].held = held

    def pid(self, name: str) -> int | None:
        if name == "redis":
            return self.redis.pid
        proc = self.procs.get(name)
        return proc.proc.pid if proc else None

    def kill_tree(self, name: str) -> list[int]:
        """SIGKILL a service's children and then the service itself (a machine losing the process)."""
        pid = self.pid(name)
        if pid is None:
            return []
        killed = []
        for child in children_of(pid):
            _kill(child)
            killed.append(child)
        _kill(pid)
        killed.append(pid)
        proc = self.procs.get(name)
        if proc is not None:
            try:
                proc.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        return killed

    def stop_all(self) -> None:
        self._stop.set()
        for name in ("web", "beat", "worker"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            if self.redis.proc and self.redis.proc.poll() is None:
                os.kill(self.redis.proc.pid, signal.SIGCONT)  # a worker shutting down talks to Redis
            proc.stop()
            for child in children_of(proc.proc.pid):
                _kill(child)
        if self.redis.proc and self.redis.proc.poll() is None:
            os.kill(self.redis.proc.pid, signal.SIGCONT)
        self.redis.stop()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
