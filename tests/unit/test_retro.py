"""Lost-deal retrospectives: one lost case, one lost call, and the team view by industry."""

from __future__ import annotations

import pytest
from helpers.memory_kb import MemoryKB

from coach.errors import InputError, NotFoundError
from coach.reports.retro import retro_all, retro_case, retro_call, retro_one
from coach.services import Services
from coach.settings import REPO_ROOT
from scripts_gen.playbook import load_playbook
from speech.types import CallAnalysis

WESTLAKE = REPO_ROOT / "knowledge" / "demo" / "calls" / "westlake-portascan-discovery.txt"


@pytest.fixture
def svc(settings) -> Services:
    return Services(settings, kb=MemoryKB())


def test_lost_case_causes_quote_the_case(svc) -> None:
    case = svc.kb.get_case("beauty-aurora-lumaskin-2024")
    r = retro_case(case)
    reasons = [c["reason"] for c in r["causes"]]
    assert "unresolved_objection:risk-safety" in reasons and "unresolved_objection:competitor" in reasons
    for c in r["causes"]:
        for e in c["evidence"]:
            assert e["case_id"] == case.id
            # every quote is taken from the case text
            quote = e["quote"].rstrip("…")
            fragments = [p.strip() for p in quote.replace("Customer said:", "|").replace("Result:", "|").split("|") if p.strip()]
            assert all(f[:40] in " ".join(case.body.split()) for f in fragments), e["quote"]


def test_a_won_case_is_refused_and_unknown_ids_are_clear(svc) -> None:
    with pytest.raises(InputError, match="won deal"):
        retro_one(svc, "med-eastbank-portascan-2025")
    with pytest.raises(NotFoundError, match="neither a case"):
        retro_one(svc, "nope-123")


def _cut(a: CallAnalysis, n: int = 20) -> CallAnalysis:
    """The call without its closing lines (so without its next step)."""
    cut = a.model_copy(deep=True)
    cut.utterances = cut.utterances[:n]
    cut.moments = [m for m in cut.moments if m.utterance_id in {u.id for u in cut.utterances}]
    cut.emotion_shifts = [s for s in cut.emotion_shifts if s.utterance_id in {u.id for u in cut.utterances}]
    return cut


def test_call_retro_finds_causes_with_utterance_evidence(svc) -> None:
    # the whole demo call ends well (next steps agreed; the sentiment head, issue 10, sees
    # no unrecovered cooling), so the retrospective reads the call without its closing lines
    a = svc.analyzer.analyze(WESTLAKE)
    r = retro_call(a, load_playbook(svc.settings.knowledge_dir), call_id="c1")
    assert "no_next_step" not in [c["reason"] for c in r["causes"]]
    cut = _cut(a)
    ids = {u.id for u in cut.utterances}
    r2 = retro_call(cut, load_playbook(svc.settings.knowledge_dir))
    assert r2["causes"] and "no_next_step" in [c["reason"] for c in r2["causes"]]
    assert all(e["utterance_id"] in ids for c in r2["causes"] for e in c["evidence"])
    empty = retro_call(CallAnalysis(utterances=[u for u in a.utterances if u.role == "rep"]), load_playbook(svc.settings.knowledge_dir))
    assert empty["warnings"]


def test_team_view_ranks_reasons_by_industry_including_lost_calls(svc) -> None:
    from coach.calls.store import CallStore
    from coach.db.models import Account, Call

    a = _cut(svc.analyzer.analyze(WESTLAKE))  # a lost call that ended without a next step
    store = CallStore(svc.db, svc.settings)
    with svc.db.session() as s:
        acc = Account(name="Westlake", industry="medical-devices")
        s.add(acc)
        s.flush()
        acc_id = acc.id
    cid = store.create_call(WESTLAKE, account_id=acc_id)
    store.save_analysis(cid, a)
    with svc.db.session() as s:
        s.get(Call, cid).outcome = "lost"
    r = retro_all(svc)
    lost_cases = [c for c in svc.kb.cases.values() if c.outcome == "lost"]
    assert r["cases"] == len(lost_cases) and r["calls"] == 1
    med = r["by_industry"]["medical-devices"]
    assert med["deals"] == sum(1 for c in lost_cases if c.industry == "medical-devices") + 1
    counts = [t["deals"] for t in med["top_reasons"]]
    assert counts == sorted(counts, reverse=True)
    call_deal = next(d for d in r["deals"] if d["kind"] == "call")
    assert call_deal["id"] == cid and call_deal["industry"] == "medical-devices" and call_deal["causes"]
    one = retro_one(svc, cid)
    assert one["kind"] == "call" and one["industry"] == "medical-devices"


def test_empty_kb_and_no_lost_calls_says_so(settings) -> None:
    r = retro_all(Services(settings, kb=MemoryKB(cases=[])))
    assert r["lost_deals"] == 0 and any("no lost deals" in w for w in r["warnings"])
