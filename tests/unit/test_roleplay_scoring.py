"""Scorecards: every check cites turns, totals order good > mediocre > poor, rubric
files are validated, feedback quotes a won case."""

from pathlib import Path

import pytest
import yaml

from coach.errors import NotFoundError, ValidationFailed
from coach.roleplay.engine import Simulation, run_script
from coach.roleplay.examples import CaseLibrary, objection_block, objections_section
from coach.roleplay.personas import get_persona
from coach.roleplay.scoring import load_rubric
from coach.settings import DEFAULT_KNOWLEDGE_DIR as K

SCRIPTS = Path(__file__).resolve().parents[2] / "benchmarks" / "roleplay_scripts"


def run(pid: str, rel: str, seed: int = 0, rubric: str | None = None) -> tuple[Simulation, dict]:
    p = get_persona(K, pid)
    sim = Simulation(p, seed=seed)
    lines = [x.strip() for x in (SCRIPTS / rel).read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]
    run_script(sim, lines)
    return sim, sim.finish(load_rubric(K, rubric or p.rubric), CaseLibrary(K))


def test_every_check_cites_turns_that_exist_and_quotes_them():
    sim, card = run("icu-nurse-manager", "icu-nurse-manager/good.txt")
    assert 0 <= card["total"] <= 100
    n = len(sim.turns)
    for crit in card["criteria"]:
        for chk in crit["checks"]:
            assert isinstance(chk["evidence"], str) and chk["evidence"]
            assert all(0 <= i < n for i in chk["turns"])
            for i in chk["turns"][:1]:
                if f"turn {i} (" in chk["evidence"]:
                    assert sim.turns[i]["text"][:30] in chk["evidence"]


@pytest.mark.parametrize("pid, lang", [("icu-nurse-manager", "en"), ("er-director-chen", "zh"), ("saas-cfo", "en")])
def test_totals_order_good_mediocre_poor(pid, lang):
    totals = [run(pid, rel)[1]["total"] for rel in (f"{pid}/good.txt", f"{pid}/mediocre.txt", f"poor_{lang}.txt")]
    assert totals[0] > totals[1] > totals[2], totals


def test_poor_rep_fails_with_specific_evidence_and_won_case_feedback():
    sim, card = run("icu-nurse-manager", "poor_en.txt")
    assert sim.state.outcome == "walked_away" and card["total"] < 20
    checks = {c["id"]: c for crit in card["criteria"] for c in crit["checks"]}
    assert checks["no-pushy-close"]["passed"] is False and "can we close it today" in checks["no-pushy-close"]["evidence"]
    assert checks["no-monologue"]["passed"] is False and "words" in checks["no-monologue"]["evidence"]
    assert card["feedback"], "failed checks get coaching feedback"
    for fb in card["feedback"]:
        assert fb["advice"]
    examples = [fb["example"] for fb in card["feedback"] if fb["example"]]
    assert examples, "feedback quotes won cases when the knowledge base has them"
    ids = {p.stem for p in (K / "cases").glob("*.md")}
    for ex in examples:
        assert ex["case_id"] in ids and ex["quote"]


def test_objection_checks_not_applicable_when_none_was_raised():
    p = get_persona(K, "icu-nurse-manager")
    sim = Simulation(p, seed=0)
    sim.rep_turn("What's the biggest challenge on the ICU right now?")
    card = sim.finish(load_rubric(K, "discovery-call"))
    obj = next(c for c in card["criteria"] if c["id"] == "objections")
    assert obj["score"] is None and all(c["passed"] is None for c in obj["checks"])
    assert "not applicable" in obj["checks"][0]["evidence"]


def test_case_library_quotes_the_matching_objection(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "a.md").write_text(
        "---\nid: won-a\ntitle: A\nindustry: medical-devices\noutcome: won\nobjections: [price, integration]\n---\n"
        "## Objections and how they were handled\n### price\n- Customer said: too dear\n- Rep response: TCO\n"
        "### integration\n- Customer said: HL7?\n- Rep response: test instance\n## Outcome\nWon.\n",
        encoding="utf-8",
    )
    (tmp_path / "cases" / "b.md").write_text(
        "---\nid: lost-b\ntitle: B\nindustry: medical-devices\noutcome: lost\nobjections: [integration]\n---\nbody\n", encoding="utf-8"
    )
    (tmp_path / "cases" / "broken.md").write_text("no front matter", encoding="utf-8")
    lib = CaseLibrary(tmp_path)
    ex = lib.example(["integration"], "medical-devices")
    assert ex.case_id == "won-a" and ex.objection == "integration" and "test instance" in ex.quote
    assert "TCO" not in ex.quote
    assert lib.example(["integration"], avoid={"won-a"}).case_id == "won-a"  # the only won case
    section = objections_section((tmp_path / "cases" / "a.md").read_text(encoding="utf-8"))
    assert objection_block(section, "price").startswith("- Customer said: too dear")


def test_unknown_and_malformed_rubrics(tmp_path):
    with pytest.raises(NotFoundError) as e:
        load_rubric(K, "nope")
    assert "discovery-call" in e.value.detail
    (tmp_path / "rubrics").mkdir()
    data = yaml.safe_load((K / "rubrics" / "discovery-call.yaml").read_text(encoding="utf-8"))
    data["criteria"][1]["checks"][0]["weight"] = -1
    (tmp_path / "rubrics" / "bad.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_rubric(tmp_path, "bad")
    assert "bad.yaml" in e.value.message and "criteria.1.checks.0.weight" in e.value.message
    data = yaml.safe_load((K / "rubrics" / "discovery-call.yaml").read_text(encoding="utf-8"))
    data["criteria"][0]["checks"][0]["rule"] = {"type": "act_count", "act": "telepathy", "min": 1}
    (tmp_path / "rubrics" / "bad.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"criteria\.0\.checks\.0\.rule\.act"):
        load_rubric(tmp_path, "bad")
    data["criteria"][0]["checks"][0]["rule"] = {"type": "talk_share"}
    (tmp_path / "rubrics" / "bad.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"rule\.max"):
        load_rubric(tmp_path, "bad")
