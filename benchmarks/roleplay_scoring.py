"""Scoring validity: scripted good, mediocre and poor reps against every persona, scored
with every rubric, over several seeds (template renderer).

The totals must order good > mediocre > poor for every persona/rubric pair and seed;
the spread of each total over the seeds shows how stable a score is.

  .venv/bin/python benchmarks/roleplay_scoring.py [--seeds 5]

Scripts: ``benchmarks/roleplay_scripts/<persona>/{good,mediocre}.txt`` and
``benchmarks/roleplay_scripts/poor_<language>.txt`` (one rep turn per line).
Writes ``benchmarks/results/roleplay_scoring.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.roleplay.engine import Simulation, run_script  # noqa: E402
from coach.roleplay.examples import CaseLibrary  # noqa: E402
from coach.roleplay.personas import load_personas  # noqa: E402
from coach.roleplay.scoring import load_rubric  # noqa: E402

SCRIPTS = ROOT / "benchmarks" / "roleplay_scripts"
LEVELS = ("good", "mediocre", "poor")


def read_lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def script_for(persona_id: str, language: str, level: str) -> Path:
    own = SCRIPTS / persona_id / f"{level}.txt"
    return own if own.is_file() else SCRIPTS / f"{level}_{language}.txt"


def keyword_share(persona, lines: list[str]) -> float:
    """Share of script lines holding any of the persona's cue, value or trigger words (a
    good script written to hit them makes the ranking circular)."""
    words = {w.lower() for n in persona.hidden_needs for w in n.cues + n.value_keywords}
    words |= {k.lower() for a in persona.objection_agenda for k in a.trigger.keywords}
    hit = [ln for ln in lines if any(w in ln.lower() for w in words)]
    return round(len(hit) / max(1, len(lines)), 2)


def run(seeds: int) -> dict:
    knowledge = ROOT / "knowledge"
    personas = load_personas(knowledge)
    rubric_ids = sorted(p.stem for p in (knowledge / "rubrics").glob("*.yaml"))
    rubrics = {r: load_rubric(knowledge, r) for r in rubric_ids}
    library = CaseLibrary(knowledge)
    rows = []
    t0 = time.perf_counter()
    for pid, persona in personas.items():
        for rid, rubric in rubrics.items():
            totals: dict[str, list[float]] = {lvl: [] for lvl in LEVELS}
            outcomes: dict[str, list[str]] = {lvl: [] for lvl in LEVELS}
            for seed in range(seeds):
                for lvl in LEVELS:
                    sim = Simulation(persona, seed=seed)
                    run_script(sim, read_lines(script_for(pid, persona.language, lvl)))
                    sc = sim.finish(rubric, library)
                    totals[lvl].append(sc["total"])
                    outcomes[lvl].append(sim.state.outcome or "")
            ordered = [g > m > p for g, m, p in zip(totals["good"], totals["mediocre"], totals["poor"])]
            rows.append(
                {
                    "persona": pid,
                    "difficulty": persona.difficulty,
                    "rubric": rid,
                    "own_rubric": rid == persona.rubric,
                    "good_lines_with_persona_keywords": keyword_share(
                        persona, read_lines(script_for(pid, persona.language, "good"))
                    ),
                    **{f"{lvl}_median": statistics.median(totals[lvl]) for lvl in LEVELS},
                    **{f"{lvl}_spread": round(max(totals[lvl]) - min(totals[lvl]), 1) for lvl in LEVELS},
                    "ordered_seeds": sum(ordered),
                    "seeds": seeds,
                    "totals": totals,
                    "outcomes": outcomes,
                }
            )
    elapsed = time.perf_counter() - t0
    n_pairs = len(rows)
    all_ordered = sum(1 for r in rows if r["ordered_seeds"] == seeds)
    runs = seeds * n_pairs
    return {
        "seeds": seeds,
        "pairs": n_pairs,
        "pairs_ordered_all_seeds": all_ordered,
        "runs_ordered": sum(r["ordered_seeds"] for r in rows),
        "runs": runs,
        "max_spread": max(max(r[f"{lvl}_spread"] for lvl in LEVELS) for r in rows),
        "median_gap_good_mediocre": statistics.median(r["good_median"] - r["mediocre_median"] for r in rows),
        "median_gap_mediocre_poor": statistics.median(r["mediocre_median"] - r["poor_median"] for r in rows),
        "elapsed_s": round(elapsed, 2),
        "rows": rows,
    }


def markdown(res: dict) -> str:
    out = [
        "| persona | difficulty | rubric | good | mediocre | poor | spread (g/m/p) | ordered seeds |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in res["rows"]:
        rub = r["rubric"] + (" *" if r["own_rubric"] else "")
        out.append(
            f"| {r['persona']} | {r['difficulty']} | {rub} | {r['good_median']:.1f} | {r['mediocre_median']:.1f} | "
            f"{r['poor_median']:.1f} | {r['good_spread']:.0f}/{r['mediocre_spread']:.0f}/{r['poor_spread']:.0f} | "
            f"{r['ordered_seeds']}/{r['seeds']} |"
        )
    out.append("")
    out.append(
        f"{res['pairs_ordered_all_seeds']}/{res['pairs']} persona/rubric pairs ordered good > mediocre > poor on all "
        f"{res['seeds']} seeds ({res['runs_ordered']}/{res['runs']} runs); largest spread over seeds "
        f"{res['max_spread']:.1f} points; median gaps good-mediocre {res['median_gap_good_mediocre']:.1f}, "
        f"mediocre-poor {res['median_gap_mediocre_poor']:.1f}; {res['elapsed_s']} s. (* = the persona's own rubric)"
    )
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    res = run(args.seeds)
    out = ROOT / "benchmarks" / "results" / "roleplay_scoring.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    print(markdown(res))
    return 0 if res["pairs_ordered_all_seeds"] == res["pairs"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
