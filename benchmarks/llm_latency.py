"""Latency of the bundled local LLM (SmolLM2-135M-Instruct Q4_1 via transformers, CPU).

    .venv/bin/python benchmarks/llm_latency.py [--runs 5] [--tokens 200]

Measures, each phase in a fresh subprocess so nothing is shared between them:
* cold load: de-quantise the GGUF and save the converted weights (first start ever);
* warm load: load the converted weights from the cache (every later start) - the
  baseline is the cold load (what every start would cost without the cache);
* for a ~200-token answer (greedy, streamed): time to first token and total time,
  p50 over ``--runs`` runs, tokens/s, and the process's peak memory (max RSS).

Prints a Markdown table and writes benchmarks/results/llm_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "llm_latency.json"
PROMPT = ("A hospital's head of procurement says our portable ultrasound is 20% more expensive than a "
          "competitor's. Write a detailed plan for tomorrow's meeting: how to open, which questions to "
          "ask, how to present total cost of ownership, and which next step to ask for.")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def phase_load(cache: str) -> dict:
    t0 = time.perf_counter()
    import torch  # noqa: F401
    import transformers  # noqa: F401

    imports_s = time.perf_counter() - t0
    from coach.llm.local import load_local_model

    lm = load_local_model(None, cache)
    return {"imports_s": imports_s, "load_s": lm.load_s, "source": lm.source, "peak_rss_mb": _rss_mb()}


def phase_generate(cache: str, runs: int, tokens: int) -> dict:
    from langchain_core.messages import HumanMessage, SystemMessage

    from coach.llm import generate, stream
    from coach.llm.local import LocalChatModel

    model = LocalChatModel(cache_dir=cache, temperature=0.0, max_new_tokens=tokens, timeout_s=600)
    msgs = [SystemMessage("You are a helpful sales coach."), HumanMessage(PROMPT)]
    load = model.loaded
    ttft, total, n_tokens = [], [], []
    for _ in range(runs):
        s = stream(model, msgs, timeout_s=600)
        text = "".join(s)
        assert s.result.ok, s.result.error
        ttft.append(s.result.first_token_s)
        total.append(s.result.elapsed_s)
        n_tokens.append(model.count_tokens(text))
    # the same answer without streaming, once (streaming overhead check)
    r = generate(model, msgs, timeout_s=600)
    return {
        "load_s": load.load_s, "source": load.source, "runs": runs,
        "ttft_s": ttft, "total_s": total, "tokens": n_tokens, "nonstream_total_s": r.elapsed_s,
        "nonstream_tokens": r.output_tokens, "torch_threads": __import__("torch").get_num_threads(),
        "peak_rss_mb": _rss_mb(),
    }


def _sub(args: list[str]) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"phase {args[:2]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--phase", choices=["load", "generate"], help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase == "load":
        print(json.dumps(phase_load(a.cache)))
        return
    if a.phase == "generate":
        print(json.dumps(phase_generate(a.cache, a.runs, a.tokens)))
        return

    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="llm-bench-") as cache:
        cold = _sub(["--phase", "load", "--cache", cache])
        warm = _sub(["--phase", "load", "--cache", cache])
        gen = _sub(["--phase", "generate", "--cache", cache, "--runs", str(a.runs), "--tokens", str(a.tokens)])
    p50 = statistics.median
    tps = [n / t for n, t in zip(gen["tokens"], gen["total_s"]) if t > 0]
    result = {
        "model": "SmolLM2-135M-Instruct.Q4_1 (transformers, float32, CPU)",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}",
        "cold_load_s": round(cold["load_s"], 2), "cold_source": cold["source"], "imports_s": round(cold["imports_s"], 2),
        "warm_load_s": round(warm["load_s"], 3), "warm_source": warm["source"],
        "warm_vs_cold_speedup": round(cold["load_s"] / max(warm["load_s"], 1e-6), 1),
        "runs": a.runs, "max_new_tokens": a.tokens,
        "answer_tokens_p50": p50(gen["tokens"]),
        "ttft_p50_s": round(p50(gen["ttft_s"]), 3), "total_p50_s": round(p50(gen["total_s"]), 2),
        "tokens_per_s_p50": round(p50(tps), 1),
        "nonstream_total_s": round(gen["nonstream_total_s"], 2),
        "peak_rss_mb_cold_load": round(cold["peak_rss_mb"]), "peak_rss_mb_generate": round(gen["peak_rss_mb"]),
        "torch_threads": gen["torch_threads"],
        # the machine is shared: the 1-minute load average before/after tells how contended it was
        "load_average_1m": [load_before, round(os.getloadavg()[0], 2)], "raw": {"cold": cold, "warm": warm, "generate": gen},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    rows = [
        ("cold load (GGUF de-quantise + save cache) = baseline", f"{result['cold_load_s']} s"),
        ("warm load (converted-weights cache)", f"{result['warm_load_s']} s ({result['warm_vs_cold_speedup']}x faster)"),
        ("python imports (torch + transformers)", f"{result['imports_s']} s"),
        (f"time to first token, p50 of {a.runs} (streamed)", f"{result['ttft_p50_s']} s"),
        (f"total for a {result['answer_tokens_p50']}-token answer, p50", f"{result['total_p50_s']} s"),
        ("same answer, not streamed", f"{result['nonstream_total_s']} s"),
        ("tokens/s, p50", f"{result['tokens_per_s_p50']}"),
        ("peak memory (max RSS): cold load / generation", f"{result['peak_rss_mb_cold_load']} / {result['peak_rss_mb_generate']} MB"),
    ]
    print(f"Local LLM latency - {result['model']}, {result['machine']}, torch threads {result['torch_threads']}, "
          f"load average {result['load_average_1m'][0]} -> {result['load_average_1m'][1]}\n")
    print("| measure | value |\n| --- | --- |")
    for k, v in rows:
        print(f"| {k} | {v} |")
    print(f"\nJSON: {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
