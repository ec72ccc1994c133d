"""Grounding of pre-visit scripts: over >= 10 scripts (demo accounts + synthetic notes),
the share of evidence-bearing claims in the OUTPUT that have valid evidence after
validation (must be 100%), and how many claims the validator dropped - for the bundled
local model and for the HTTP (OpenAI-compatible) path.

The HTTP path talks over real HTTP to tests/helpers/openai_stub_server.py. The stub is
made to behave like a careless model: for each section it echoes the plan lines but
inflates one number, adds a sentence citing an invented case id and a sentence with an
invented statistic, so the validator has something to catch. These are synthetic
errors, not the behaviour of any real hosted model.

The output check is independent of the validator's bookkeeping: it re-reads every
output line, and requires each cited id to exist in the KB and to have been retrieved
for that script, and each number of a cited line to appear in its cited cases' text.

    .venv/bin/python benchmarks/grounding.py [--data-dir DIR] [--local-scripts 10] [--max-tokens 48]
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from benchmarks.common import REPO_ROOT, machine, md_table, write_results  # noqa: E402

NOTES = [
    "Hospital ER director says the portable ultrasound is too expensive compared with Norvale",
    "Fleet operator with 300 diesel vans worried about charging at the depot and the price of electric vans",
    "Restaurant chain unhappy with late cold-chain deliveries; they fear switching carriers",
    "Electronics maker replacing a 2011 ERP; IT worries about MES integration and switching cost",
    "Skincare chain with falling store conversion; the owner says there is no budget this year",
    "Foundry plant manager wants fewer unplanned stops but procurement runs a formal tender",
]
CITE = re.compile(r"\[([A-Za-z0-9][\w.:\-]*)\]")


def setup_services(data_dir: Path | None, llm: Any = None) -> Any:
    """Services over a data dir with the sample cases ingested and the demo accounts imported."""
    from coach.accounts.service import import_directory
    from coach.services import Services
    from coach.settings import Settings

    fresh = data_dir is None or not (data_dir / "kb").exists()
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="salescoach-bench-"))
    settings = Settings(data_dir=data_dir)
    svc = Services(settings, **({"llm": llm} if llm is not None else {}))
    if fresh:
        svc.kb.ingest([REPO_ROOT / "knowledge" / "cases"])
        import_directory(svc.db, REPO_ROOT / "knowledge" / "demo")
    return svc


def check_output(script: dict[str, Any], kb: Any) -> tuple[int, int]:
    """(evidence-bearing claims in the output, of which valid) - independent re-check."""
    from scripts_gen.casefacts import number_set, split_sentences

    retrieved = {c["id"] for c in script["retrieved"]}
    texts: dict[str, set[str]] = {}
    total = valid = 0
    for sec in script["sections"]:
        for line in sec["content"].splitlines():
            body = re.sub(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+", "", line)
            line_ids = CITE.findall(body)
            for sentence in split_sentences(body):
                ids = CITE.findall(sentence) or line_ids
                nums = number_set(CITE.sub("", sentence))
                if not ids and not nums:
                    continue
                total += 1
                ok = all(kb.has_case(c) and c in retrieved for c in ids)
                if ok and ids and nums:
                    for c in ids:
                        if c not in texts:
                            case = kb.get_case(c)
                            texts[c] = number_set(f"{case.title}\n{case.customer}\n{case.body}")
                    ok = nums <= set().union(*(texts[c] for c in ids))
                if ok and not ids and sec.get("key") == "value_story":
                    ok = False  # a proof point without its case
                valid += int(ok)
    return total, valid


def careless_reply(body: dict[str, Any], rng: random.Random) -> str:
    """What the stub answers: the plan lines with one inflated number, an invented case id
    and an invented statistic."""
    text = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
    m = re.search(r"<<<DATA[^\n]*>>>\n(.*?)\n<<<END DATA>>>", text, re.S)
    lines = [ln for ln in (m.group(1) if m else "").splitlines() if ln.startswith("- ")]
    out = []
    bumped = False
    for ln in lines:
        if not bumped and re.search(r"\[[^\]]+\]", ln) and re.search(r"\d", ln):
            ln = re.sub(r"\d+", lambda x: str(int(x.group(0)) * 3 + 1), ln, count=1)
            bumped = True
        out.append(ln)
    out.insert(rng.randrange(len(out) + 1), f"- A similar customer saved {rng.randint(12, 95)}% in year one [case-{rng.randint(100, 999)}-invented].")
    out.append(f"- Over {rng.randint(200, 900)} customers trust us.")
    return "\n".join(out)


def run_http(svc: Any, jobs: list[dict[str, str]]) -> dict[str, Any]:
    import helpers.openai_stub_server as stubmod

    from coach.llm import build_chat_model
    from coach.settings import LLMSettings

    rng = random.Random(7)
    original = stubmod._reply
    stubmod._reply = lambda state, body: {"content": careless_reply(body, rng)}
    try:
        with stubmod.OpenAIStubServer() as stub:
            svc.__dict__["llm"] = build_chat_model(LLMSettings(provider="openai", base_url=stub.url, model="stub-model",
                                                               timeout_s=10, max_retries=0))
            return _run(svc, jobs, "http (stub, synthetic errors)", None)
    finally:
        stubmod._reply = original


def _run(svc: Any, jobs: list[dict[str, str]], label: str, max_tokens: int | None) -> dict[str, Any]:
    from scripts_gen import generate_script

    per = []
    for job in jobs:
        t0 = time.perf_counter()
        s = generate_script(svc, max_tokens=max_tokens, **job)
        total, valid = check_output(s, svc.kb)
        v = s["validation"]
        per.append({"job": job, "claims_out": total, "valid_out": valid, "dropped": v["dropped"], "reasons": v["reasons"],
                    "sections_llm": sum(1 for x in s["sections"] if x["source"] == "llm"), "llm_ok": s["llm_ok"],
                    "citations": len(s["citations"]), "seconds": round(time.perf_counter() - t0, 2), "model": s["model"]})
        logging.info("%s %s: %d/%d valid, %d dropped", label, job, valid, total, v["dropped"])
    claims = sum(p["claims_out"] for p in per)
    valid = sum(p["valid_out"] for p in per)
    reasons: dict[str, int] = {}
    for p in per:
        for k, n in p["reasons"].items():
            reasons[k] = reasons.get(k, 0) + n
    return {"path": label, "scripts": len(per), "claims_in_output": claims, "valid": valid,
            "valid_share": round(valid / claims, 4) if claims else None, "dropped": sum(p["dropped"] for p in per),
            "dropped_by_reason": reasons, "sections_from_llm": sum(p["sections_llm"] for p in per),
            "sections": 5 * len(per), "scripts_citing_cases": sum(1 for p in per if p["citations"]), "per_script": per}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse a data dir with the KB ingested")
    ap.add_argument("--local-scripts", type=int, default=10)
    ap.add_argument("--max-tokens", type=int, default=48, help="local model: tokens per section")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from coach.accounts.service import AccountService
    from coach.llm.local import LocalChatModel

    svc = setup_services(args.data_dir)
    accounts = AccountService(svc.db).account_names()
    jobs = [{"account": a} for a in accounts] + [{"notes": n} for n in NOTES]
    results = [run_http(svc, jobs)]
    svc.__dict__["llm"] = LocalChatModel(cache_dir=str(svc.settings.models_cache_dir), temperature=0.0,
                                         max_new_tokens=args.max_tokens, timeout_s=120)
    local_jobs = jobs[: max(1, args.local_scripts - 3)] + [{"notes": n} for n in NOTES[:3]]
    results.append(_run(svc, local_jobs[: args.local_scripts], "local (SmolLM2-135M)", args.max_tokens))
    rows = [[r["path"], r["scripts"], r["claims_in_output"], f"{100 * (r['valid_share'] or 0):.1f}%", r["dropped"],
             ", ".join(f"{k} {n}" for k, n in sorted(r["dropped_by_reason"].items())) or "-",
             f"{r['sections_from_llm']}/{r['sections']}", r["scripts_citing_cases"]] for r in results]
    table = md_table(["path", "scripts", "claims in output", "valid evidence", "dropped", "dropped by reason",
                      "sections phrased by LLM", "scripts citing cases"], rows)
    print(table)
    path = write_results("grounding", {"machine": machine(), "max_tokens_local": args.max_tokens, "results": results,
                                       "table": table})
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
