"""Interleaved rounds (A B A B ..., the median of each) with CPU per request read from /proc.

On a 2-core machine shared with other work, two loads measured one after the other compare the machine's
moods, not the loads. Alternating short rounds gives both the same mix of quiet and busy moments, and the
median of at least three drops a round that met a burst. Next to req/s each round reads how much CPU this
run's server processes (every descendant of the driver but wrk) and PostgreSQL spent per answer, from
/proc/<pid>/stat: that figure does not move with the other processes' load, so it says what a request costs
even when the machine's noise moves req/s.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .loadgen import LoadResult

HZ = os.sysconf("SC_CLK_TCK")
MIN_ROUNDS = 3


def _stat(pid: str) -> tuple[str, int, int] | None:
    """(name, parent pid, user+system ticks) of a process; None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw.rsplit(")", 1)[1].split()
    return name, int(fields[1]), int(fields[11]) + int(fields[12])


def cpu_snapshot() -> dict[str, float]:
    """CPU seconds so far: `server` (this driver's descendants but wrk: gunicorn, Celery workers),
    `postgres` (every PostgreSQL backend on the machine) and `machine` (all CPUs busy, from /proc/stat)."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat is not None:
                procs[int(entry.name)] = stat
    ours = {os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, (_, ppid, _) in procs.items():
            if ppid in ours and pid not in ours:
                ours.add(pid)
                grew = True
    server = sum(t for pid, (n, _, t) in procs.items() if pid in ours and pid != os.getpid() and n != "wrk")
    postgres = sum(t for n, _, t in procs.values() if n == "postgres")
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(v) for i, v in enumerate(cpu[:8]) if i not in (3, 4))  # all but idle and iowait
    return {"server": server / HZ, "postgres": postgres / HZ, "machine": busy / HZ}


@dataclass
class Round:
    result: LoadResult
    counted: int  # the unit the round counts (answers, or alarms stored)
    seconds: float
    server_cpu: float
    postgres_cpu: float
    machine_cpu: float
    lost: int = 0  # reports not stored (scan POST rounds)

    @property
    def rate(self) -> float:
        return self.counted / self.seconds if self.seconds else 0.0

    def per_unit_ms(self, cpu: float) -> float:
        return cpu / self.counted * 1000 if self.counted else float("nan")


@dataclass
class Series:
    label: str
    rounds: list[Round] = field(default_factory=list)

    def median(self, pick: Callable[[Round], float]) -> float:
        return statistics.median(pick(r) for r in self.rounds) if self.rounds else float("nan")

    @property
    def rate(self) -> float:
        return self.median(lambda r: r.rate)

    @property
    def server_ms(self) -> float:
        return self.median(lambda r: r.per_unit_ms(r.server_cpu))

    @property
    def postgres_ms(self) -> float:
        return self.median(lambda r: r.per_unit_ms(r.postgres_cpu))

    @property
    def p95_ms(self) -> float:
        return self.median(lambda r: r.result.p95_ms)

    @property
    def errors(self) -> int:
        return sum(r.result.errors for r in self.rounds)

    @property
    def machine_share(self) -> float:
        """How busy the whole machine was during the rounds (2.0: both cores), median."""
        return self.median(lambda r: r.machine_cpu / r.seconds if r.seconds else 0.0)


def measured(run: Callable[[], LoadResult], count: Callable[[LoadResult], int] | None = None) -> Round:
    """One round: the load, and the CPU each side spent meanwhile."""
    before = cpu_snapshot()
    result = run()
    after = cpu_snapshot()
    counted = count(result) if count is not None else result.responses
    return Round(
        result=result,
        counted=counted,
        seconds=result.duration_s,
        server_cpu=after["server"] - before["server"],
        postgres_cpu=after["postgres"] - before["postgres"],
        machine_cpu=after["machine"] - before["machine"],
    )


def interleaved(variants: dict[str, Callable[[], Round]], *, rounds: int = MIN_ROUNDS) -> dict[str, Series]:
    """Run each variant once per round, in the same order every round (A B A B ...); at least three rounds."""
    if rounds < MIN_ROUNDS:
        raise ValueError(f"at least {MIN_ROUNDS} rounds: a median of fewer is not robust to a burst")
    series = {label: Series(label) for label in variants}
    for _ in range(rounds):
        for label, run in variants.items():
            series[label].rounds.append(run())
    return series
