"""bin/supervise (what bin/run starts): a process that dies is logged and restarted; the others keep running.

Issue 19: under honcho the first worker crash stopped web and beat too, and nothing said why. These tests start
the real supervisor with tiny commands in a temporary Procfile and kill real child processes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from testkit.celery_worker import wait_for

ROOT = Path(__file__).resolve().parent.parent


class Run:
    """The supervisor as a child process, its output collected line by line."""

    def __init__(self, procfile: Path) -> None:
        env = {**os.environ, "KERYU_SUPERVISE_BACKOFF_FIRST": "0.2", "KERYU_SUPERVISE_STOP_GRACE": "3"}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bin" / "supervise"), "-f", str(procfile)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=procfile.parent,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.lines.append(raw.decode().rstrip("\n"))

    def text(self) -> str:
        return "\n".join(self.lines)

    def pids(self, name: str) -> list[int]:
        return [int(p) for p in re.findall(rf"started {name} pid (\d+)", self.text())]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); the supervisor reaps its children, so check the state too
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_process_is_logged_with_its_last_output_and_restarted_while_the_others_keep_running(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("talker: echo talker-says-hello; sleep 300\nsteady: sleep 300\n")
    run = Run(procfile)
    try:
        wait_for(lambda: run.pids("talker") and run.pids("steady") and "talker-says-hello" in run.text(), timeout=20)
        (first_talker,) = run.pids("talker")
        (steady,) = run.pids("steady")

        os.kill(first_talker, signal.SIGKILL)

        wait_for(lambda: len(run.pids("talker")) == 2, timeout=20)
        out = run.text()
        assert f"exited talker pid {first_talker}: killed by signal 9 (SIGKILL)" in out
        assert "talker> talker-says-hello" in out  # its last output, for the reader who asks why
        assert "restarting talker (restart 1)" in out
        new_talker = run.pids("talker")[1]
        assert new_talker != first_talker
        wait_for(lambda: _alive(new_talker), timeout=10)
        assert _alive(steady), "the other process must keep running"
        assert run.pids("steady") == [steady], "the other process is not restarted"
        assert run.proc.poll() is None, "the supervisor itself keeps running"
    finally:
        run.proc.send_signal(signal.SIGTERM)
        run.proc.wait(timeout=30)


def test_an_exit_code_is_logged_and_sigterm_stops_every_process(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("crasher: echo about-to-fail; exit 3\nsteady: sleep 300\n")
    run = Run(procfile)
    try:
        wait_for(lambda: "restarting crasher (restart 1)" in run.text(), timeout=20)
        assert re.search(r"exited crasher pid \d+: exit code 3 after \d+ s", run.text())
        assert "crasher> about-to-fail" in run.text()
        (steady,) = run.pids("steady")
    finally:
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(timeout=30) == 0
    assert "stopping: received SIGTERM" in run.text()
    assert not _alive(steady), "stopping the supervisor stops its processes"


def test_the_procfile_is_the_source_of_the_commands_bin_run_supervises():
    import runpy

    supervise = runpy.run_path(str(ROOT / "bin" / "supervise"), run_name="supervise")
    entries = supervise["read_procfile"](ROOT / "Procfile")
    assert list(entries) == ["web", "worker", "beat"]
    assert entries["worker"].startswith("celery -A keryu_site worker")
    assert "bin/supervise -f Procfile" in (ROOT / "bin" / "run").read_text()
