"""Security figures for the README (issue 12): API requests fuzzed (schemathesis, every
operation as anonymous/rep/manager/admin, zero 5xx and zero schema violations required),
faults survived (kill -9 during analysis/report/ingest, full disk, damaged database,
unreachable LLM) and malicious files rejected, plus the login-throttle overhead.

    .venv/bin/python benchmarks/security.py            # SALESCOACH_FUZZ_EXAMPLES=6 by default
    .venv/bin/python benchmarks/security.py --quick    # without the slow kill -9 faults

Runs the security test files under pytest (they append their counts to a temp file named
by SALESCOACH_SECURITY_FIGURES) and writes ``benchmarks/results/security.json``.
No data split is involved: these are counts of generated inputs, not model scores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/integration/test_api_fuzz.py",
    "tests/integration/test_malicious_files.py",
    "tests/integration/test_faults.py",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the slow kill -9 faults")
    args = ap.parse_args()
    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as fh:
        figures_path = fh.name
    env = {**os.environ, "SALESCOACH_SECURITY_FIGURES": figures_path}
    cmd = [sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider", "--tb=line"]
    if args.quick:
        cmd += ["-m", "not slow"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    rows = [json.loads(line) for line in Path(figures_path).read_text().splitlines() if line.strip()]
    os.unlink(figures_path)
    merged: dict = {"faults_survived": []}
    for row in rows:
        if "fault_survived" in row:
            merged["faults_survived"].append(row["fault_survived"])
        else:
            for key, value in row.items():  # counts from several tests add up
                merged[key] = merged.get(key, 0) + value if key.startswith("malicious") else value
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    result = {
        "command": " ".join(["benchmarks/security.py"] + (["--quick"] if args.quick else [])),
        "fuzz_examples_per_operation_and_role": int(os.environ.get("SALESCOACH_FUZZ_EXAMPLES", "6")),
        **merged,
        "faults_survived_count": len(merged["faults_survived"]),
        "pytest": summary,
        "pytest_exit_code": proc.returncode,
        "seconds": round(elapsed, 1),
    }
    out = REPO / "benchmarks" / "results" / "security.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-3000:] + proc.stderr[-2000:])
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
