"""The load generator: wrk (C, epoll) driven by benchmarks/lua/paths.lua, bounded in count and time.

wrk keeps the client's CPU small on a 2-core machine, where a Python client would take a large share of
what it measures. Closed loop: each connection sends its next request as soon as the answer arrives.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).parent / "lua" / "paths.lua"
MARK = "BENCH-JSON "


@dataclass(frozen=True)
class LoadResult:
    connections: int
    duration_s: float
    responses: int
    sent: int
    ok: int
    bad_status: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.responses / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.bad_status + self.socket_errors


def parse_output(stdout: str, connections: int) -> LoadResult:
    """Read the script's BENCH-JSON line (latencies in microseconds)."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError("wrk printed no BENCH-JSON line:\n" + stdout)
    d = json.loads(line[len(MARK) :])
    return LoadResult(
        connections=connections,
        duration_s=d["duration_us"] / 1e6,
        responses=d["responses"],
        sent=d["sent"],
        ok=d["ok"],
        bad_status=d["bad_status"],
        socket_errors=d["connect"] + d["read"] + d["write"] + d["timeout"],
        p50_ms=d["p50"] / 1000,
        p95_ms=d["p95"] / 1000,
        p99_ms=d["p99"] / 1000,
        max_ms=d["max"] / 1000,
    )


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is not installed (bin/bench installs it: apt-get install -y wrk)")
    return path


def run(
    base_url: str,
    paths: list[str],
    *,
    connections: int,
    seconds: float,
    expected: int = 200,
    cap: int = 0,
    method: str = "GET",
    body: str = "",
    once: bool = False,
) -> LoadResult:
    """Run wrk against `paths` (rotated, or each used once) with `connections` clients.

    The wrk threads split the path list (thread i takes lines i, i+T, ...): a list shorter than the threads
    would leave a thread with no path, and wrk then requests "/" (the Wagtail home page) instead. An empty
    list is refused; in loop mode a short list is repeated until every thread has its own copy.
    """
    if not paths or any(not p.startswith("/") for p in paths):
        raise ValueError("wrk needs at least one path, each starting with '/'")
    threads = min(connections, 2)
    if once:
        threads = max(1, min(threads, len(paths)))
    elif len(paths) < threads:
        paths = paths * threads
    per_thread = -(-connections // threads)
    connections = per_thread * threads
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths) + "\n")
        paths_file = f.name
    cmd = [
        wrk_binary(),
        "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "20s",
        "-s", str(SCRIPT), base_url, "--",
        method, paths_file, str(expected), str(cap), "once" if once else "loop", str(threads), str(per_thread), body,
    ]  # fmt: skip
    try:
        out = subprocess.run(  # noqa: S603  (our own arguments)
            cmd,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    finally:
        Path(paths_file).unlink(missing_ok=True)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return parse_output(out.stdout, connections)
