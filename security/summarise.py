"""Turn bandit's and pip-audit's JSON into bin/security's verdicts (stdlib only).

    python security/summarise.py bandit BANDIT.json      exit 1 on any unreviewed medium/high finding
    python security/summarise.py pip-audit AUDIT.json    exit 1 on a known vulnerability

pip-audit answers "No known vulnerabilities found" with exit 0 even when it could not reach its database
and skipped every package; here a package it could not check is counted as not checked, never as clean.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FAILING = ("MEDIUM", "HIGH")


def bandit(report: dict) -> int:
    findings = sorted(report.get("results", []), key=lambda r: (r["filename"], r["line_number"]))
    for r in findings:
        print(
            f"  {r['filename']}:{r['line_number']} {r['test_id']} "
            f"[{r['issue_severity'].lower()}/{r['issue_confidence'].lower()}] {r['issue_text']}"
        )
    totals = report.get("metrics", {}).get("_totals", {})
    counts = {level: int(totals.get(f"SEVERITY.{level}", 0)) for level in ("LOW", "MEDIUM", "HIGH")}
    reviewed = int(totals.get("skipped_tests", 0))
    print(
        f"bandit: {counts['HIGH']} high, {counts['MEDIUM']} medium, {counts['LOW']} low (listed, not failing); "
        f"{reviewed} reviewed (# nosec BXXX: reason)"
    )
    for error in report.get("errors", []):
        print(f"  bandit could not scan {error.get('filename')}: {error.get('reason')}")
    if report.get("errors"):
        return 1
    if counts["HIGH"] or counts["MEDIUM"]:
        print("bandit: FAIL — fix each medium/high finding, or review it and mark it `# nosec BXXX: <reason>`")
        return 1
    return 0


def pip_audit(report: dict) -> int:
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for d in vulnerable:
        ids = ", ".join(v["id"] for v in d["vulns"])
        print(f"  {d['name']} {d.get('version', '')}: {ids}")
    checked = len(deps) - len(skipped)
    if vulnerable:
        print(f"pip-audit: FAIL — {len(vulnerable)} package(s) with known vulnerabilities")
        return 1
    if not deps:
        print("pip-audit: NOT RUN (no network) — it gave no report (timed out or could not start)")
        return 0
    if skipped:
        print(
            f"pip-audit: NOT RUN (no network) — {checked} of {len(deps)} packages checked; first: {skipped[0]['skip_reason']}"
        )
        return 0
    print(f"pip-audit: passed — {checked} packages checked, no known vulnerabilities")
    return 0


def main(argv: list[str]) -> int:
    kind, path = argv[1], Path(argv[2])
    report = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
    return {"bandit": bandit, "pip-audit": pip_audit}[kind](report)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
