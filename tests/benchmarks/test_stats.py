"""The benchmark suite's pure parts: percentiles, tables, reading wrk's output (bin/bench itself is not CI)."""

from __future__ import annotations

import math

import pytest

from benchmarks.loadgen import parse_output
from benchmarks.stats import Table, Target, percentile, summary_ms, targets_table


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 100) == 100
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


def test_summary_is_in_milliseconds():
    s = summary_ms([0.010, 0.020, 0.030, 0.040])
    assert (s["p50"], s["max"]) == pytest.approx((20.0, 40.0))


def test_table_renders_markdown_and_refuses_a_short_row():
    table = Table("Scan", ["clients", "req/s"])
    table.add(50, 1234.5678)
    table.notes.append("a note")
    text = table.markdown()
    assert "| 50 | 1,234.6 |" in text and text.startswith("#### Scan") and "- a note" in text
    with pytest.raises(ValueError):
        table.add(1)


def test_targets_table_marks_misses():
    text = targets_table([Target("p95", "< 50 ms", "80 ms", False), Target("rate", ">= 1", "2", True)]).markdown()
    assert "| p95 | < 50 ms | 80 ms | **missed** |" in text and "| rate | >= 1 | 2 | met |" in text


def test_wrk_output_is_read_from_the_scripts_json_line():
    out = "Running 8s test\nBENCH-JSON " + (
        '{"duration_us": 2000000, "responses": 500, "sent": 502, "ok": 498, "bad_status": 2, "connect": 0, '
        '"read": 1, "write": 0, "timeout": 0, "p50": 1500, "p95": 4000, "p99": 9000, "max": 12000, "mean": 2.0}'
    )
    r = parse_output(out, 10)
    assert (r.rps, r.errors, r.p95_ms, r.sent) == (250.0, 3, 4.0, 502)
    with pytest.raises(RuntimeError):
        parse_output("no json here", 1)
