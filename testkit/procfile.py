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
from collections.abc import Callable, Sequence
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
    """Web, worker and beat from the Procfile plus Redis, all started with the drill's environment.

    `start_all` starts one of each (the fault soak); `add` starts another copy of a Procfile process under a
    name of its own, with its own variables and extra arguments (the spread drill's second web on another
    port, a second worker with its own hostname). Every process is supervised by name.
    """

    def __init__(
        self,
        *,
        env: dict[str, str],
        run_dir: Path,
        redis: AofRedis | None,
        web_port: int,
        events: Callable[..., None],
    ) -> None:
        self.env = env
        self.run_dir = run_dir
        self.web_port = web_port
        self.event = events
        self.redis = redis
        self.procs: dict[str, LoggedProcess] = {}
        self.services: dict[str, Managed] = {}
        self.kinds: dict[str, str] = {}  # name -> its Procfile process (web, worker, beat)
        self.ports: dict[str, int] = {}  # name -> the port a web process listens on
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # --- starting --------------------------------------------------------------------------------
    def spawn(
        self,
        name: str,
        *,
        process: str | None = None,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
        wait: bool = True,
    ) -> LoggedProcess:
        """Start the Procfile's `process` (default: `name`) as `name`, logging to `<run_dir>/<name>.log`
        (appended to, so a restarted process continues its predecessor's log); `wait`: until it is up.

        Start processes from a thread that outlives them (the caller's, the supervisor's): the child's
        parent-death signal (_die_with_parent) fires when the *thread* that forked it ends, not the process.
        """
        process = process or name
        env = {**self.env, **(env or {})}
        cmd = procfile_command(process, env) + list(args)
        cmd[0] = str(Path(sys.executable).parent / cmd[0])  # the venv's gunicorn / celery
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_die_with_parent,
        )
        logged = LoggedProcess(proc, self.run_dir / f"{name}.log")
        self.procs[name] = logged
        self.kinds[name] = process
        self.ports[name] = int(env.get("PORT") or self.web_port)
        if wait:
            self.wait_up(name)
        return logged

    def wait_up(self, name: str) -> None:
        """Until `name` is up: a worker says it is ready, beat that it starts, a web server answers HTTP."""
        logged, process = self.procs[name], self.kinds[name]
        proc = logged.proc
        if process == "worker":
            logged.wait_ready(timeout=90)
        elif process == "beat":
            wait_for(lambda: any("beat: Starting" in x for x in logged.lines) or proc.poll() is not None, timeout=60)
        elif process == "web":
            port = self.ports[name]
            wait_for(lambda: http_answers(port) or proc.poll() is not None, timeout=90)

    def add(
        self,
        name: str,
        *,
        process: str | None = None,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
        wait: bool = True,
    ) -> LoggedProcess:
        """spawn(), and supervise it under `name`: restarted the same way (same variables, same arguments).
        `wait=False`: start several at once and `wait_up` each afterwards."""
        logged = self.spawn(name, process=process, env=env, args=args, wait=wait)
        self.services[name] = Managed(
            name, lambda: self.spawn(name, process=process, env=env, args=args), lambda: self.alive(name)
        )
        self._write_pids()
        return logged

    def web_answers(self) -> bool:
        return http_answers(self.web_port)

    def start_all(self) -> None:
        assert self.redis is not None
        self.redis.start()
        self.services["redis"] = Managed("redis", self.redis.start, self.redis.alive)
        for name in ("web", "worker", "beat"):
            self.add(name)

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.proc.poll() is None

    def _write_pids(self) -> None:
        pids = {n: p.proc.pid for n, p in self.procs.items()}
        if self.redis is not None:
            pids["redis"] = self.redis.pid
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
            return self.redis.pid if self.redis is not None else None
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
        """SIGTERM every process (webs, then beat, then workers), then wait for each (SIGKILL after 15 s) and
        kill what it left behind; Redis last. Stopped side by side: each graceful shutdown takes seconds."""
        self._stop.set()
        redis = self.redis.proc if self.redis is not None else None
        if redis and redis.poll() is None:
            os.kill(redis.pid, signal.SIGCONT)  # a worker shutting down talks to Redis
        order = {"web": 0, "beat": 1, "worker": 2}
        names = sorted(self.procs, key=lambda n: order.get(self.kinds.get(n, ""), 3))
        for name in names:
            if self.procs[name].proc.poll() is None:
                self.procs[name].proc.terminate()
        for name in names:
            proc = self.procs[name]
            proc.stop()  # waits for the exit (SIGKILL after 15 s)
            for child in children_of(proc.proc.pid):
                _kill(child)
        if self.redis is not None:
            if redis and redis.poll() is None:
                os.kill(redis.pid, signal.SIGCONT)
            self.redis.stop()


def http_answers(port: int) -> bool:
    """Gunicorn listens before its worker has loaded Django: up once a request gets an HTTP answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.settimeout(30)
            s.sendall(b"GET /health/live HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return s.recv(5) == b"HTTP/"
    except OSError:
        return False


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
