"""The suite's own defects (issue 17): wrk given no path, or fewer paths than threads, requested "/" instead;
the seeder's bulk-created codes had an empty unique short code."""

from __future__ import annotations

import pytest

from benchmarks import loadgen
from benchmarks.seed import _code
from registry.models import QRCode, short_code_for


def test_an_empty_path_list_is_refused_before_wrk_runs():
    with pytest.raises(ValueError):
        loadgen.run("http://127.0.0.1:9", [], connections=2, seconds=1)


def test_one_path_for_two_threads_is_repeated_so_no_thread_falls_back_to_the_home_page(monkeypatch):
    written: list[str] = []

    def fake_run(cmd, **kwargs):
        written.append(open(cmd[cmd.index("--") + 2]).read())
        raise SystemExit  # stop before wrk would run

    monkeypatch.setattr(loadgen.subprocess, "run", fake_run)
    monkeypatch.setattr(loadgen, "wrk_binary", lambda: "wrk")
    with pytest.raises(SystemExit):
        loadgen.run("http://127.0.0.1:9", ["/bench/trivial/"], connections=50, seconds=1)
    assert written[0].split() == ["/bench/trivial/", "/bench/trivial/"]


def test_seeded_codes_carry_their_short_code_and_never_repeat_one():
    taken: set[str] = set()
    codes = [_code(None, None, taken) for _ in range(200)]  # type: ignore[arg-type]
    shorts = [c.short_code for c in codes]
    assert all(shorts) and len(set(shorts)) == 200
    assert all(c.short_code == short_code_for(c.uuid) for c in codes)
    assert all(isinstance(c, QRCode) for c in codes)
