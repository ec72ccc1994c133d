"""Scorecard agreement with our own judgement of 40 whole sessions.

``benchmarks/roleplay_sessions/judged_sessions.txt`` holds 40 scripted sessions (our own
sample, written for this benchmark, none of it used to train or tune anything) with a
judgement of seven discovery-call checks that depend only on what the rep said. Each
session is played against its persona (template renderer, seed 0) and scored with the
discovery-call rubric; a check agrees when the scorecard passes it (or finds it not
applicable) exactly where the judgement says 1. Reported per check and overall, next to
today's phrase patterns (the same sessions scored with the baseline act classifier).

  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/roleplay_scorecard_agreement.py

Writes benchmarks/results/roleplay_scorecard_agreement.json.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import roleplay_acts_baseline as baseline  # noqa: E402
from coach.roleplay import engine  # noqa: E402
from coach.roleplay.engine import Simulation, run_script  # noqa: E402
from coach.roleplay.personas import load_personas  # noqa: E402
from coach.roleplay.scoring import load_rubric  # noqa: E402

SESSIONS = ROOT / "benchmarks" / "roleplay_sessions" / "judged_sessions.txt"
#: judgement key -> discovery-call check id
CHECKS = {
    "open": "open-questions",
    "auth": "decision-process",
    "first": "discovery-first",
    "refl": "reflected",
    "evid": "evidence",
    "dated": "proposed",
    "calm": "no-pushy-close",
}


def read_sessions(path: Path = SESSIONS) -> list[dict]:
    out: list[dict] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            head, _, labels = line[3:].partition("|")
            sid, persona = head.split()
            judged = {k: v == "1" for k, v in re.findall(r"(\w+)=([01])", labels)}
            out.append({"id": sid, "persona": persona, "judged": judged, "lines": []})
        elif line.strip() and not line.startswith("#"):
            out[-1]["lines"].append(line.strip())
    return out


def play(sessions: list[dict], personas: dict, rubric) -> list[dict]:
    rows = []
    for s in sessions:
        sim = Simulation(personas[s["persona"]], seed=0)
        run_script(sim, s["lines"])
        played = sum(1 for t in sim.turns if t["speaker"] == "rep")
        card = sim.finish(rubric)
        got = {k["id"]: k["passed"] for c in card["criteria"] for k in c["checks"]}
        rows.append(
            {
                "id": s["id"],
                "played": f"{played}/{len(s['lines'])}",
                "agree": {key: (got[cid] is not False) == s["judged"][key] for key, cid in CHECKS.items()},
                "scorecard": {key: got[cid] for key, cid in CHECKS.items()},
                "judged": s["judged"],
            }
        )
    return rows


def summary(rows: list[dict]) -> dict:
    per = {k: round(sum(r["agree"][k] for r in rows) / len(rows), 3) for k in CHECKS}
    allv = [v for r in rows for v in r["agree"].values()]
    return {
        "overall": round(sum(allv) / len(allv), 3),
        "per_check": per,
        "sessions_all_checks_agree": sum(1 for r in rows if all(r["agree"].values())),
    }


def main() -> None:
    personas = load_personas(ROOT / "knowledge")
    rubric = load_rubric(ROOT / "knowledge", "discovery-call")
    sessions = read_sessions()
    t0 = time.perf_counter()
    ours = play(sessions, personas, rubric)
    with mock.patch.object(engine, "classify", baseline.classify):
        base = play(sessions, personas, rubric)
    res = {
        "sessions": len(sessions),
        "data": "our own 40 judged sessions (nothing trained or tuned on them)",
        "classifier": summary(ours),
        "patterns": summary(base),
        "disagreements": [
            {"id": r["id"], "check": k, "judged": r["judged"][k], "scorecard": r["scorecard"][k], "played": r["played"]}
            for r in ours
            for k, ok in r["agree"].items()
            if not ok
        ],
        "elapsed_s": round(time.perf_counter() - t0, 1),
    }
    out = ROOT / "benchmarks" / "results" / "roleplay_scorecard_agreement.json"
    out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(json.dumps({k: res[k] for k in ("classifier", "patterns")}, indent=1) + "\n")


if __name__ == "__main__":
    main()
