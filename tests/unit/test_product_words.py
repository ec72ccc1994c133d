"""Users' words and one meaning per flag: metric labels with units, timestamps without
microseconds, ``--json PATH|-`` the same on every command, ids never truncated, flagged
calls ranked with reasons in words, roles asked when unknown, and script proof points
kept to the deal's product line."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from typer.testing import CliRunner

from coach.calls.roles import roles_state
from coach.cli import app
from coach.cli.common import normalize_json_flag
from coach.reports.labels import clock, humanize, metric_label, metric_value, when
from coach.team.views import call_flags, flag_severity


def test_metric_labels_and_values_carry_units():
    assert metric_label("longest_monologue_s") == "Longest rep monologue (s)"
    assert metric_value("longest_monologue_s", 14.1234) == "14.1 s"
    assert metric_value("talk_ratio", 0.434) == "43%"
    assert metric_value("questions_rep", 12) == "12"
    assert metric_value("patience_s", None) == "-"
    assert humanize("roi-proof") == "ROI proof" and humanize("next_step") == "Next step"


def test_timestamps_have_no_microseconds():
    t = datetime(2026, 12, 4, 16, 52, 28, 123456, tzinfo=timezone.utc)
    assert when(t) == "2026-12-04 16:52"
    assert when(t.isoformat()) == "2026-12-04 16:52"
    assert clock(75.9) == "01:15" and clock(3725) == "1:02:05"


def test_flags_read_as_words_and_rank_by_how_far_out():
    mild = {"talk_ratio": 0.66, "questions_rep": 7, "longest_monologue_s": 30.0, "patience_s": 0.7}
    bad = {"talk_ratio": 0.9, "questions_rep": 1, "longest_monologue_s": 400.0, "patience_s": 0.1}
    reasons = call_flags(bad, 3)
    assert "Rep talk time 90%, above 65%" in reasons
    assert "Longest rep monologue 400 s, above 150 s" in reasons and "Questions asked by the rep 1, below 6" in reasons
    assert all("_" not in r for r in reasons)
    assert flag_severity(bad, 3) > flag_severity(mild, 0) > 0
    assert flag_severity({"talk_ratio": 0.4, "questions_rep": 12}, 0) == 0


def test_json_flag_means_path_or_stdout_everywhere():
    assert normalize_json_flag(["kb", "search", "x", "--json"]) == ["kb", "search", "x", "--json", "-"]
    assert normalize_json_flag(["kb", "list", "--json", "--outcome", "won"]) == ["kb", "list", "--json", "-", "--outcome", "won"]
    assert normalize_json_flag(["analyze", "a.wav", "--json", "out.json"]) == ["analyze", "a.wav", "--json", "out.json"]
    assert normalize_json_flag(["calls", "list", "--json", "-"]) == ["calls", "list", "--json", "-"]


def test_json_path_writes_a_file_on_list_commands(tmp_path):
    out = tmp_path / "personas.json"
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "d"), "kb", "stats", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "cases" in json.loads(out.read_text())
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "d"), "kb", "stats", "--json", "-"])
    assert "cases" in json.loads(res.stdout)


def test_ids_are_never_truncated_in_narrow_terminals(tmp_path):
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "d"), "roleplay", "--list"], env={"COLUMNS": "60"})
    assert res.exit_code == 0, res.output
    assert "fleet-procurement-wang" in res.stdout and "fleet-procurem…" not in res.stdout


def test_roles_are_asked_when_unknown_or_doubtful():
    def doc(roles, conf):
        return {"speakers": [{"id": s, "role": r, "talk_s": 5.0, "role_confidence": conf} for s, r in roles],
                "utterances": [{"speaker": "A", "text": "hello"}, {"speaker": "B", "text": "hi there"}]}

    unknown = roles_state(doc([("A", "unknown"), ("B", "unknown")], 0.0))
    assert not unknown["known"] and unknown["ask"] and unknown["speakers"][1]["first_lines"] == ["hi there"]
    doubtful = roles_state(doc([("A", "rep"), ("B", "customer")], 0.6))
    assert doubtful["known"] and doubtful["ask"] and doubtful["rep"] == "A"
    sure = roles_state(doc([("A", "rep"), ("B", "customer")], 0.95))
    assert sure["known"] and not sure["ask"]


def test_proof_points_stay_in_the_deals_product_line():
    from types import SimpleNamespace

    from scripts_gen.plan import ScriptPlan, _discovery, same_line
    from scripts_gen.playbook import Playbook

    def case(cid, product, industry="nev-fleet"):
        return SimpleNamespace(id=cid, product=product, industry=industry, facts=SimpleNamespace(pains=[]))

    cases = {"van": case("van", "VoltRun V7 electric van"), "tel": case("tel", "FleetPulse telematics"),
             "chg": case("chg", "ChargeGrid DC120 depot charger")}
    plan = ScriptPlan(account=None, notes=None, goal=None, industry="nev-fleet", product="FleetPulse telematics",
                      objections=[], cases=cases, sections=[], warnings=[])
    assert [c.id for c in same_line(plan)] == ["tel"]
    questions = " ".join(i.text for i in _discovery(plan, Playbook([])).items)
    assert "charge" not in questions.lower()
    plan.product = "VoltRun V7 electric van"
    assert "charge" in " ".join(i.text for i in _discovery(plan, Playbook([])).items).lower()
