"""Runtime speed of the local LLM: llama.cpp (the product's runtime) for each bundled model,
against transformers (the runtime it replaced, the baseline) for SmolLM2, same prompt,
same greedy decoding, same machine, same run.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/llm_latency.py [--runs 3] [--tokens 128] \
        [--models smollm2-135m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b] [--threads 1]

Each (runtime, model) runs in a fresh subprocess: load time (transformers: de-quantising
the GGUF; llama.cpp: mapping the file), time to first token and tokens/s of a streamed
answer (p50 of ``--runs``), and the process's peak memory (max RSS). Thread counts are
equal for both runtimes (``--threads``, default 1: on a shared 2-core machine llama.cpp's
spinning threads collapse when oversubscribed, see coach.llm.local.default_threads).
Writes benchmarks/results/llm_latency.json and prints a Markdown table.
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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "llm_latency.json"
CACHE = Path(os.environ.get("SALESCOACH_TEST_MODEL_CACHE", Path.home() / ".cache" / "salescoach-models"))
PROMPT = ("A hospital's head of procurement says our portable ultrasound is 20% more expensive than a "
          "competitor's. Write a detailed plan for tomorrow's meeting: how to open, which questions to "
          "ask, how to present total cost of ownership, and which next step to ask for.")
MESSAGES = [{"role": "system", "content": "You are a helpful sales coach."}, {"role": "user", "content": PROMPT}]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_llamacpp(model: str, runs: int, tokens: int, threads: int) -> dict:
    from coach.llm import stream
    from coach.llm.local import LocalChatModel

    m = LocalChatModel(local_model=model, cache_dir=str(CACHE), temperature=0.0, max_new_tokens=tokens,
                       timeout_s=900, n_threads=threads)
    t0 = time.perf_counter()
    lm = m.loaded
    load_s = time.perf_counter() - t0
    out = []
    for _ in range(runs):
        s = stream(m, [(x["role"].replace("user", "human"), x["content"]) for x in MESSAGES], timeout_s=900)
        n = sum(1 for _ in s)
        r = s.result
        out.append({"first_token_s": r.first_token_s, "tokens": n, "total_s": r.elapsed_s})
    return {"runtime": "llama.cpp", "model": model, "title": lm.name, "load_s": load_s, "runs": out, "peak_rss_mb": _rss_mb()}


def run_transformers(model: str, runs: int, tokens: int, threads: int) -> dict:
    import threading

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, TextIteratorStreamer

    from coach.llm.catalog import resolve

    torch.set_num_threads(threads)
    path, entry = resolve(model, CACHE)
    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    lm = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32).eval()
    load_s = time.perf_counter() - t0
    inputs = tok.apply_chat_template(MESSAGES, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = []
    for _ in range(runs):
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True)
        kw = dict(**inputs, max_new_tokens=tokens, do_sample=False, repetition_penalty=1.1, streamer=streamer,
                  pad_token_id=tok.eos_token_id)
        t = time.perf_counter()
        th = threading.Thread(target=lambda: lm.generate(**kw))
        th.start()
        first, text = None, ""
        for piece in streamer:
            if piece and first is None:
                first = time.perf_counter() - t
            text += piece
        th.join()
        n = len(tok(text, add_special_tokens=False)["input_ids"])
        out.append({"first_token_s": first, "tokens": n, "total_s": time.perf_counter() - t})
    return {"runtime": "transformers", "model": model, "title": entry.title, "load_s": load_s, "runs": out,
            "peak_rss_mb": _rss_mb()}


def summary(r: dict) -> dict:
    tps = [(x["tokens"] - 1) / (x["total_s"] - x["first_token_s"]) for x in r["runs"]
           if x["first_token_s"] is not None and x["total_s"] > x["first_token_s"] and x["tokens"] > 1]
    return {"runtime": r["runtime"], "model": r["model"], "title": r["title"], "load_s": round(r["load_s"], 2),
            "first_token_s_p50": round(statistics.median(x["first_token_s"] for x in r["runs"]), 3),
            "tokens_per_s_p50": round(statistics.median(tps), 1) if tps else None,
            "answer_tokens_p50": statistics.median(x["tokens"] for x in r["runs"]),
            "peak_rss_mb": round(r["peak_rss_mb"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models", default="smollm2-135m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b")
    ap.add_argument("--baseline-models", default="smollm2-135m", help="models also run on transformers")
    ap.add_argument("--one", nargs=2, metavar=("RUNTIME", "MODEL"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        fn = run_llamacpp if a.one[0] == "llama.cpp" else run_transformers
        print(json.dumps(fn(a.one[1], a.runs, a.tokens, a.threads)))
        return
    load_before = round(os.getloadavg()[0], 2)
    plan = [("transformers", m) for m in a.baseline_models.split(",") if m] + [("llama.cpp", m) for m in a.models.split(",")]
    rows = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "OMP_NUM_THREADS": str(a.threads)}
    for runtime, model in plan:
        p = subprocess.run([sys.executable, __file__, "--one", runtime, model, "--runs", str(a.runs), "--tokens",
                            str(a.tokens), "--threads", str(a.threads)], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            rows.append({"runtime": runtime, "model": model, "error": p.stderr[-1500:]})
            continue
        rows.append(summary(json.loads(p.stdout.strip().splitlines()[-1])))
    base = next((r for r in rows if r.get("runtime") == "transformers" and "error" not in r), None)
    for r in rows:
        same = next((b for b in rows if b.get("runtime") == "transformers" and b["model"] == r["model"]
                     and "error" not in b), None)
        if r.get("runtime") == "llama.cpp" and same and r.get("tokens_per_s_p50") and same.get("tokens_per_s_p50"):
            r["speedup_vs_transformers"] = round(r["tokens_per_s_p50"] / same["tokens_per_s_p50"], 1)
    result = {"benchmark": "llm_latency", "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
              "threads": a.threads, "max_new_tokens": a.tokens, "runs": a.runs, "baseline": base and "transformers",
              "load_average_1m": [load_before, round(os.getloadavg()[0], 2)], "rows": rows}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print("| runtime | model | load s | first token s | tokens/s | peak RSS MB | vs transformers |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['runtime']} | {r['model']} | failed | | | | |")
            continue
        print(f"| {r['runtime']} | {r['title']} | {r['load_s']} | {r['first_token_s_p50']} | {r['tokens_per_s_p50']} | "
              f"{r['peak_rss_mb']} | {r.get('speedup_vs_transformers', '')} |")


if __name__ == "__main__":
    main()
