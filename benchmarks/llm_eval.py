"""Model choice by measurement: the product's four model jobs, scored by the product's own
validators, for each bundled model on llama.cpp, plus speed and memory.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m benchmarks.llm_eval \
        [--models smollm2-135m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b] [--items 32]

Jobs (items from benchmarks/llm_eval_items.py, each item's split fixed by a hash of its id):
* script: one talking point phrased (scripts_gen.phrase._phrase_item, the product call);
  passes when validation keeps the model's wording;
* report: a post-call summary (coach.reports.postcall.generate_report); passes when the
  model's summary is shown (not replaced by the computed one);
* chat: an answer from retrieved excerpts (the chain prompt), checked sentence by sentence
  (coach.chat.grounding); passes when at least one model sentence is supported;
* buyer: a buyer line from a decided act (coach.llm.buyer.phrase_buyer_line); passes when
  the model's line is used.

Per job and model: pass rate on dev and test, unsupported claims per 100 model sentences
before validation and after it (re-checked independently: numbers of shown text against
the cited sources; target 0), median latency. Per model: load time, tokens/s and first
token on a fixed prompt, peak RSS. Each model runs in its own process. The default model
is chosen on the dev items only (rule in ``choose``); the test items report.
Writes benchmarks/results/llm_eval.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from benchmarks.common import current_rss_mb, machine, peak_rss_mb, write_results  # noqa: E402

log = logging.getLogger("benchmarks.llm_eval")
MODELS = ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
CACHE = Path(os.environ.get("SALESCOACH_TEST_MODEL_CACHE", Path.home() / ".cache" / "salescoach-models"))
SPEED_PROMPT = ("A hospital's head of procurement says our portable ultrasound is 20% more expensive than a "
                "competitor's. Write a plan for tomorrow's meeting: how to open, which questions to ask, how to "
                "present total cost of ownership, and which next step to ask for.")
_CITE = re.compile(r"\[([A-Za-z0-9][\w.:\-]*)\]")
#: quality is measured without a tight wall-clock limit (the machine is shared, so a limit
#: would measure the other jobs); speed is measured apart (speed(), benchmarks/llm_latency.py)
EVAL_TIMEOUT_S = 900.0


class CapturingWriter:
    """The product's ModelWriter, keeping the raw text of the last answer."""

    def __init__(self, model: Any) -> None:
        from coach.llm.writer import ModelWriter

        self.inner = ModelWriter(model)
        self.name = self.inner.name
        self.last: Any = None

    def stream(self, messages: Any, **kw: Any) -> Any:
        self.last = self.inner.stream(messages, **kw)
        return self.last


def _sentences(text: str) -> list[str]:
    from scripts_gen.casefacts import split_sentences

    return [s for line in (text or "").splitlines() for s in split_sentences(line) if s.strip()]


def _invented_numbers(shown: str, sources: str) -> int:
    from scripts_gen.casefacts import number_set

    return len(number_set(_CITE.sub("", shown)) - number_set(sources))


# --------------------------------------------------------------------------- jobs --
def run_script(model: Any, items: list[Any], svc: Any) -> list[dict[str, Any]]:
    from scripts_gen.phrase import _phrase_item
    from scripts_gen.validate import Validator

    writer = CapturingWriter(model)
    out = []
    for it in items:
        plan, sec, item = it.payload["plan"], it.payload["section"], it.payload["item"]
        validator = Validator({cid: f"{c.title}\n{c.customer}\n{c.body}" for cid, c in plan.cases.items()},
                              svc.kb.has_case)
        t0 = time.perf_counter()
        p = _phrase_item(item, sec, writer, validator, max_tokens=64, timeout_s=EVAL_TIMEOUT_S, context_tokens=2048,
                         on_token=None)
        raw = writer.last.result.text if writer.last is not None else ""
        sources = item.text + " " + " ".join(plan.cases[c].body for c in item.citations if c in plan.cases)
        out.append({"id": it.id, "split": it.split, "passed": p.text is not None, "reason": p.reason or p.error,
                    "sentences": len(_sentences(raw)), "unsupported_before": p.stats.dropped,
                    "unsupported_after": _invented_numbers(p.text, sources) if p.text else 0,
                    "latency_s": time.perf_counter() - t0, "output": (p.text or raw)[:300]})
    return out


def run_report(model: Any, items: list[Any], svc: Any) -> list[dict[str, Any]]:
    from coach.reports.postcall import generate_report

    svc.__dict__["llm"] = model
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for it in items:
            path = Path(tmp) / f"{it.id}.txt"
            path.write_text(it.payload["transcript"], encoding="utf-8")
            t0 = time.perf_counter()
            rep = generate_report(svc, str(path), use_llm=True, store=False)
            failed = [w for w in rep["warnings"] if "failed validation" in w or "LLM failed" in w]
            dropped = sum(int(m.group(1)) for w in failed for m in [re.search(r"(\d+) unsupported", w)] if m)
            out.append({"id": it.id, "split": it.split, "passed": bool(rep["llm_ok"] and not failed),
                        "reason": failed[0] if failed else None, "sentences": len(_sentences(rep["summary"])),
                        "unsupported_before": dropped, "unsupported_after": 0,
                        "latency_s": time.perf_counter() - t0, "output": rep["summary"][:300]})
    return out


def run_chat(model: Any, items: list[Any], kb: Any) -> list[dict[str, Any]]:
    from coach.chat.chain import build_messages, case_passage_text
    from coach.chat.grounding import Passage, SupportChecker, checked_pieces, extractive_answer, stream_sentences
    from coach.llm import stream
    from retrieval.search import best_snippet
    from scripts_gen.casefacts import number_set

    out = []
    for it in items:
        q = it.payload["question"]
        cases = [{"id": h.id, "title": h.title, "outcome": h.outcome, "industry": h.industry,
                  "snippet": best_snippet(kb.get_case(h.id).body, q)} for h in kb.search(q, k=4)]
        passages = [Passage(ref=c["id"], text=case_passage_text(c), title=c["title"]) for c in cases]
        checker = SupportChecker(passages, q)
        t0 = time.perf_counter()
        s = stream(model, build_messages(q, cases, [], []), max_tokens=128, timeout_s=EVAL_TIMEOUT_S,
                   context_tokens=2048)
        pieces = list(checked_pieces(stream_sentences(s), checker))
        kept = [p.text for p in pieces if p.ok]
        shown = "".join(kept).strip() or extractive_answer(passages, q)
        after = 0
        for p in kept:
            ids = _CITE.findall(p)
            src = " ".join(case_passage_text(c) for c in cases if c["id"] in ids) if ids else ""
            after += _invented_numbers(p, src) if ids else bool(number_set(p))
        out.append({"id": it.id, "split": it.split, "passed": bool(kept), "reason": None if kept else "nothing supported",
                    "sentences": len(pieces), "unsupported_before": sum(1 for p in pieces if not p.ok),
                    "unsupported_after": int(after), "latency_s": time.perf_counter() - t0,
                    "first_token_s": s.result.first_token_s, "output": shown[:300]})
    return out


def run_buyer(model: Any, items: list[Any]) -> list[dict[str, Any]]:
    from coach.llm.buyer import phrase_buyer_line
    from scripts_gen.casefacts import number_set

    out = []
    for it in items:
        req = it.payload["request"]
        line = phrase_buyer_line(model, req, max_tokens=64, timeout_s=EVAL_TIMEOUT_S)
        leaked = number_set(line.text) & {n for x in req.withheld_numbers for n in number_set(x)}
        out.append({"id": it.id, "split": it.split, "passed": line.source == "llm", "reason": line.reason,
                    "sentences": 1, "unsupported_before": int(line.reason is not None and line.rejected is not None),
                    "unsupported_after": len(leaked), "latency_s": line.latency_s,
                    "output": (line.text if line.source == "llm" else (line.rejected or ""))[:300]})
    return out


# ------------------------------------------------------------------------ one model --
def speed(model: Any) -> dict[str, Any]:
    from coach.llm import stream

    runs = []
    for _ in range(2):
        s = stream(model, SPEED_PROMPT, max_tokens=64, timeout_s=300)
        n = sum(1 for _ in s)
        r = s.result
        gen_s = r.elapsed_s - (r.first_token_s or 0)
        runs.append({"first_token_s": r.first_token_s, "tokens": n, "tok_s": (n - 1) / gen_s if gen_s > 0 else None})
    return {"first_token_s_p50": statistics.median(x["first_token_s"] for x in runs),
            "tokens_per_s_p50": statistics.median(x["tok_s"] for x in runs if x["tok_s"]), "runs": runs}


def one_model(name: str, n_items: int, jobs: list[str], out_path: Path) -> None:
    from coach.llm.local import LocalChatModel
    from coach.services import Services
    from coach.settings import Settings
    from helpers.memory_kb import MemoryKB

    from benchmarks import llm_eval_items as items_mod

    rss0 = current_rss_mb()
    model = LocalChatModel(local_model=name, cache_dir=str(CACHE), temperature=0.0, max_new_tokens=128,
                           timeout_s=EVAL_TIMEOUT_S)
    t0 = time.perf_counter()
    lm = model.loaded
    result: dict[str, Any] = {"model": name, "title": lm.name, "load_s": round(time.perf_counter() - t0, 3),
                              "rss_after_load_mb": round(current_rss_mb() - rss0, 1), "jobs": {}}
    if out_path.exists():  # jobs measured by an earlier run of this model are kept
        result["jobs"] = json.loads(out_path.read_text()).get("jobs", {})
    result["speed"] = speed(model)
    tmp = Path(tempfile.mkdtemp())
    settings = Settings.for_tests(tmp / "data")
    settings.llm.timeout_s = EVAL_TIMEOUT_S
    settings.ensure_dirs()
    kb = MemoryKB()
    svc = Services(settings, kb=kb, llm=model)
    from coach.accounts.service import import_directory

    import_directory(svc.db, REPO / "knowledge" / "demo")
    makers = {
        "script": lambda: run_script(model, items_mod.script_items(svc, n_items), svc),
        "report": lambda: run_report(model, items_mod.report_items(n_items), svc),
        "chat": lambda: run_chat(model, items_mod.chat_items(kb, n_items), kb),
        "buyer": lambda: run_buyer(model, items_mod.buyer_items(items_mod.knowledge_dir(), n_items)),
    }
    for job in jobs:
        t = time.perf_counter()
        rows = makers[job]()
        result["jobs"][job] = {"rows": rows, "wall_s": round(time.perf_counter() - t, 1)}
        log.warning("%s %s: %d/%d passed in %.0fs", name, job, sum(r["passed"] for r in rows), len(rows),
                    time.perf_counter() - t)
        result["peak_rss_mb"] = round(peak_rss_mb(), 1)
        out_path.write_text(json.dumps(result, ensure_ascii=False, default=str))


# ---------------------------------------------------------------------- summary --
def summarise(rows: list[dict[str, Any]], split: str | None) -> dict[str, Any]:
    sel = [r for r in rows if split is None or r["split"] == split]
    sent = sum(r["sentences"] for r in sel) or 1
    return {
        "items": len(sel),
        "pass_rate": round(sum(r["passed"] for r in sel) / len(sel), 3) if sel else None,
        "unsupported_per_100_sentences_before": round(100 * sum(r["unsupported_before"] for r in sel) / sent, 1),
        "unsupported_per_100_sentences_after": round(100 * sum(r["unsupported_after"] for r in sel) / sent, 1),
        "latency_s_p50": round(statistics.median(r["latency_s"] for r in sel), 2) if sel else None,
    }


def choose(models: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """On dev only: the mean pass rate over the jobs every model ran, minus 0.1 per doubling of the median
    script-point latency over the fastest model's (a rep waits for it); ties go to the smaller model."""
    lat = {m: v["jobs"]["script"]["dev"]["latency_s_p50"] for m, v in models.items() if "script" in v["jobs"]}
    fastest = min(lat.values()) if lat else 1.0
    common = set.intersection(*(set(v["jobs"]) for v in models.values()))
    score = {}
    for m, v in models.items():
        rates = [v["jobs"][j]["dev"]["pass_rate"] for j in sorted(common) if v["jobs"][j]["dev"]["pass_rate"] is not None]
        import math

        penalty = 0.1 * math.log2(max(1.0, lat.get(m, fastest) / fastest)) if lat else 0.0
        score[m] = round(sum(rates) / len(rates) - penalty, 3) if rates else -1
    best = max(score, key=lambda m: (score[m], -MODELS.index(m) if m in MODELS else 0))
    return {"rule": choose.__doc__, "jobs_compared": sorted(common), "dev_scores": score, "chosen": best}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--items", type=int, default=32)
    ap.add_argument("--jobs", default="script,report,chat,buyer")
    ap.add_argument("--reuse", action="store_true",
                    help="summarise the per-model parts already in benchmarks/results/llm_eval-*.tmp")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    jobs = args.jobs.split(",")
    if args.one:
        one_model(args.one, args.items, jobs, Path(args.out))
        return
    results: dict[str, Any] = {}
    for name in args.models.split(","):
        part = REPO / "benchmarks" / "results" / f"llm_eval-{name}.tmp"
        if not (args.reuse and part.exists()):
            subprocess.run([sys.executable, "-m", "benchmarks.llm_eval", "--one", name, "--out", str(part),
                            "--items", str(args.items), "--jobs", args.jobs], cwd=REPO, check=False)
        if part.exists():
            results[name] = json.loads(part.read_text())
    models = {}
    for name, r in results.items():
        models[name] = {k: v for k, v in r.items() if k != "jobs"}
        models[name]["jobs"] = {job: {"all": summarise(j["rows"], None), "dev": summarise(j["rows"], "dev"),
                                      "test": summarise(j["rows"], "test"), "wall_s": j["wall_s"],
                                      "examples": [x for x in j["rows"] if x["split"] == "test"][:3]}
                                for job, j in r["jobs"].items()}
    out = {"benchmark": "llm_eval", "machine": machine(), "runtime": "llama.cpp (llama-cpp-python 0.3.36), greedy",
           "splits": "dev chooses the default model (rule below), test reports; split = hash of the item id",
           "models": models, "choice": choose(models) if models else None}
    path = write_results("llm_eval", out)
    log.warning("wrote %s", path)
    for name, m in models.items():
        for job, j in m["jobs"].items():
            t = j["test"]
            log.warning("%-20s %-7s test pass %.2f  unsupported/100 before %.1f after %.1f  p50 %.2fs", name, job,
                        t["pass_rate"] or 0, t["unsupported_per_100_sentences_before"],
                        t["unsupported_per_100_sentences_after"], t["latency_s_p50"] or 0)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    main()
