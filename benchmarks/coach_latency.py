"""Latency of the coach on the bundled local model (SmolLM2-135M, CPU): time to first
token and total time of a pre-visit script and of a post-call report (p50 over N runs),
against the grounded-only baseline (same code path, no LLM) in the same run, and the
peak memory of the process.

    .venv/bin/python benchmarks/coach_latency.py [--runs 5] [--max-tokens 64] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO_ROOT, machine, md_table, median, peak_rss_mb, write_results  # noqa: E402
from benchmarks.grounding import setup_services  # noqa: E402

ACCOUNT = "Westlake Riverside Hospital"
CALL = REPO_ROOT / "knowledge" / "demo" / "calls" / "westlake-portascan-discovery.txt"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=64, help="tokens per script section and for the report summary")
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse a data dir with the KB ingested")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from coach.llm.local import LocalChatModel
    from coach.reports.postcall import generate_report
    from scripts_gen import generate_script

    svc = setup_services(args.data_dir)
    svc.settings.llm.max_new_tokens = args.max_tokens
    t0 = time.perf_counter()
    llm = LocalChatModel(cache_dir=str(svc.settings.models_cache_dir), temperature=0.0, max_new_tokens=args.max_tokens,
                         timeout_s=120)
    llm.loaded  # load once (as a server does), not counted in the per-request figures
    load_s = time.perf_counter() - t0
    svc.__dict__["llm"] = llm
    analysis = svc.analyzer.analyze(CALL)
    generate_script(svc, account=ACCOUNT, use_llm=False)  # warm the embedder and the KB index

    rows, results = [], {}
    for label, fn in (
        ("script", lambda use: generate_script(svc, account=ACCOUNT, goal="agree a two-week trial", use_llm=use)),
        ("report", lambda use: generate_report(svc, analysis, use_llm=use, store=False)),
    ):
        base = [fn(False)["timings"]["total_s"] for _ in range(args.runs)]
        ttft, total = [], []
        for _ in range(args.runs):
            doc = fn(True)
            ttft.append(doc["timings"].get("first_token_s") or float("nan"))
            total.append(doc["timings"]["total_s"])
        results[label] = {"runs": args.runs, "first_token_s": ttft, "total_s": total, "grounded_only_s": base,
                          "p50_first_token_s": median(ttft), "p50_total_s": median(total), "p50_grounded_only_s": median(base)}
        rows.append([label, args.runs, median(ttft), median(total), median(base),
                     median(total) / max(median(base), 1e-6)])
    table = md_table(["output", "runs", "p50 first token (s)", "p50 total (s)", "p50 grounded only, no LLM (s)",
                      "LLM / grounded-only"], rows)
    peak = peak_rss_mb()
    print(table)
    print(f"\nlocal model load (once per process): {load_s:.1f} s; peak RSS of the process: {peak:.0f} MiB; "
          f"{args.max_tokens} new tokens max per section / summary")
    path = write_results("coach_latency", {"machine": machine(), "max_tokens": args.max_tokens, "model_load_s": round(load_s, 2),
                                           "peak_rss_mb": round(peak, 1), "results": results, "table": table})
    print(f"written {path}")


if __name__ == "__main__":
    main()
