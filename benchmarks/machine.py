"""What the figures were measured on: machine, versions, commit, and what else was running."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gib() -> float:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def commit() -> str:
    def git(*args: str) -> str:
        git_cmd = ["git", *args]
        return subprocess.run(git_cmd, cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: S603

    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return sha + ("-dirty" if dirty else "")


def load_average() -> str:
    return " ".join(_read("/proc/loadavg").split()[:3])


def _cpu_ticks() -> dict[int, tuple[str, int, int]]:
    """pid -> (name, parent pid, user+system ticks so far)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read(f"/proc/{entry.name}/stat")
        if ")" not in stat:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (name, int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def busy_processes(*, seconds: float = 1.0, min_percent: float = 5.0) -> list[str]:
    """Processes outside this run using CPU over a short sample: names and % of one core, never arguments."""
    import time

    before = _cpu_ticks()
    time.sleep(seconds)
    after = _cpu_ticks()
    ours = {os.getpid()}
    grew = True
    while grew:  # this process and all its descendants (gunicorn, workers, wrk)
        grew = False
        for pid, (_, ppid, _) in after.items():
            if ppid in ours and pid not in ours:
                ours.add(pid)
                grew = True
    hz = os.sysconf("SC_CLK_TCK")
    usage: dict[str, float] = {}
    for pid, (name, _, ticks) in after.items():
        if pid in ours or pid not in before:
            continue
        percent = (ticks - before[pid][2]) / hz / seconds * 100
        usage[name] = usage.get(name, 0.0) + percent
    busy = sorted(((p, n) for n, p in usage.items() if p >= min_percent), reverse=True)
    return [f"{name} {percent:.0f}%" for percent, name in busy]


def describe(pg_version: str, redis_version: str) -> dict[str, str]:
    return {
        "cpu": f"{cpu_model()}, {os.cpu_count()} cores",
        "ram": f"{ram_gib():.1f} GiB",
        "python": platform.python_version(),
        "postgresql": pg_version,
        "redis": redis_version,
        "os": platform.platform(),
    }
