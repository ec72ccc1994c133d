"""Buyer turn latency: the whole turn (classify with the embedding classifier, its
sentences embedded afresh every turn, update state, policy, render) with the
template renderer and with the bundled local LLM (SmolLM2-135M) writing the line, plus
how often the LLM's line passed the checks (else the template line is used).

  .venv/bin/python benchmarks/roleplay_latency.py [--llm-turns 12] [--max-tokens 64]

Writes ``benchmarks/results/roleplay_latency.json``. The machine's load average is
recorded with the figures (the dev box is 2 shared cores).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.roleplay import act_model  # noqa: E402
from coach.roleplay.engine import Simulation  # noqa: E402
from coach.roleplay.personas import get_persona  # noqa: E402
from coach.roleplay.buyer_lines import LLMRenderer, TemplateRenderer  # noqa: E402

SCRIPTS = ROOT / "benchmarks" / "roleplay_scripts"
PERSONAS = ("icu-nurse-manager", "food-distributor-zhang")


def lines(pid: str) -> list[str]:
    path = SCRIPTS / pid / "good.txt"
    return [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def turns(renderer_factory, budget: int) -> tuple[list[float], list[dict]]:
    times, buyer = [], []
    while len(times) < budget:
        for pid in PERSONAS:
            sim = Simulation(get_persona(ROOT / "knowledge", pid), seed=len(times), renderer=renderer_factory())
            for line in lines(pid):
                if sim.ended or len(times) >= budget:
                    break
                for s in act_model.sentences(line):  # a rep turn is new text: embed it every time
                    act_model._CACHE.pop(s, None)
                t0 = time.perf_counter()
                b = sim.rep_turn(line)
                times.append(time.perf_counter() - t0)
                buyer.append(b)
    return times, buyer


def summary(times: list[float]) -> dict:
    return {
        "turns": len(times),
        "p50_s": round(pct(times, 0.5), 4),
        "p95_s": round(pct(times, 0.95), 4),
        "mean_s": round(statistics.fmean(times), 4),
        "max_s": round(max(times), 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm-turns", type=int, default=12)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "salescoach-models")
    args = ap.parse_args()

    load_before = os.getloadavg()[0]
    tpl_times, _ = turns(TemplateRenderer, 200)
    res: dict = {"template": summary(tpl_times), "load_avg_1m_before": round(load_before, 2)}

    from coach.llm.registry import build_chat_model
    from coach.settings import LLMSettings

    model = build_chat_model(LLMSettings(provider="local", max_new_tokens=args.max_tokens), cache_dir=args.cache_dir)
    t0 = time.perf_counter()
    model.invoke("Hi")  # load (and convert, first time) the weights outside the timings
    res["llm_load_s"] = round(time.perf_counter() - t0, 2)
    llm_times, buyer = turns(lambda: LLMRenderer(model, max_tokens=args.max_tokens, timeout_s=120), args.llm_turns)
    used = sum(1 for b in buyer if b["renderer"] == "llm")
    reasons = collections.Counter((b["fallback_reason"] or "").split(" (")[0].split(":")[0] for b in buyer if b["fallback_reason"])
    res["llm"] = {
        **summary(llm_times),
        "max_tokens": args.max_tokens,
        "llm_line_used": used,
        "llm_line_used_share": round(used / len(buyer), 3),
        "fallback_reasons": dict(reasons),
        "samples": [
            {"act": b["act"], "renderer": b["renderer"], "text": b["text"], "rejected_llm_line": b.get("rejected_llm_line"), "why": b["fallback_reason"]}
            for b in buyer[:8]
        ],
    }
    res["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    res["llm_over_template_p50"] = round(res["llm"]["p50_s"] / max(res["template"]["p50_s"], 1e-9), 1)

    out = ROOT / "benchmarks" / "results" / "roleplay_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    print("| renderer | turns | p50 (s) | p95 (s) | mean (s) | LLM line used |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    t, llm = res["template"], res["llm"]
    print(f"| template | {t['turns']} | {t['p50_s']:.4f} | {t['p95_s']:.4f} | {t['mean_s']:.4f} | - |")
    print(
        f"| local LLM (SmolLM2-135M, max {args.max_tokens} tokens) | {llm['turns']} | {llm['p50_s']:.2f} | "
        f"{llm['p95_s']:.2f} | {llm['mean_s']:.2f} | {llm['llm_line_used']}/{llm['turns']} |"
    )
    print(
        f"\nLLM p50 / template p50 = x{res['llm_over_template_p50']:g}; model load {res['llm_load_s']} s; "
        f"fallback reasons {llm['fallback_reasons']}; load average {res['load_avg_1m_before']} -> {res['load_avg_1m_after']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
