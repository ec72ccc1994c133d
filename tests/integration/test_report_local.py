"""Post-call report for real: a demo transcript analysed by the text pipeline, the hybrid
knowledge base over a few sample cases, and the bundled SmolLM2 for the summary."""

from __future__ import annotations

import pytest
from helpers.local_kb import services_over_cases

from coach.reports.postcall import generate_report
from coach.settings import REPO_ROOT

pytestmark = pytest.mark.slow

CASES = ["med-eastbank-portascan-2025", "med-northgate-clearview-2025", "med-alpine-vitalink-2024",
         "nev-swiftparcel-voltrun-2025", "food-goldenwok-coldlink-2025"]


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    svc, _ = services_over_cases(tmp_path_factory.mktemp("report-local"), CASES,
                                 llm_settings={"max_new_tokens": 32}, max_new_tokens=32, timeout_s=60)
    return svc


def test_report_from_a_transcript_is_stored_and_points_at_real_utterances(svc) -> None:
    r = generate_report(svc, REPO_ROOT / "knowledge" / "demo" / "calls" / "westlake-portascan-discovery.txt")
    call_id = r["call_id"]
    assert call_id and r["model"] == "SmolLM2-135M-Instruct.Q4_1"
    from coach.calls.store import CallStore

    analysis = CallStore(svc.db, svc.settings).get_analysis(call_id)
    starts = {u.id: round(u.start, 1) for u in analysis.utterances}
    for item in r["strengths"] + r["improvements"]:
        assert item["evidence"] and all(starts[e["utterance_id"]] == e["time"] for e in item["evidence"])
    price = [i for i in r["improvements"] if i["area"] == "objection:price"]
    assert price and price[0]["example_case"]["id"] == "med-eastbank-portascan-2025"
    assert r["summary"] and r["timings"]["first_token_s"] is not None
    assert r["next_practice"]["industry"] == "medical-devices"
    from sqlalchemy import select

    from coach.db.models import Report

    with svc.db.session() as s:
        assert s.scalars(select(Report.id).where(Report.call_id == call_id)).first() is not None
