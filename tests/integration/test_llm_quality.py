"""What the bundled model writes, measured by the product's validators on fixed items with
greedy decoding: these tests fail when the model or a prompt gets worse (pass rates below
the floors measured in benchmarks/results/llm_eval.json, less a margin), and whenever an
unsupported number or a withheld fact reaches the user."""

from __future__ import annotations

import os
import re

import pytest
from conftest import MODEL_CACHE
from helpers.memory_kb import MemoryKB

from coach.chat.chain import build_messages, case_passage_text
from coach.chat.grounding import Passage, SupportChecker, checked_pieces, stream_sentences
from coach.llm import stream
from coach.llm.buyer import BuyerLineRequest, BuyerVoice, phrase_buyer_line
from coach.llm.local import LocalChatModel
from coach.llm.writer import ModelWriter
from coach.services import Services
from coach.settings import REPO_ROOT, Settings
from retrieval.search import best_snippet
from scripts_gen.casefacts import number_set
from scripts_gen.phrase import _phrase_item
from scripts_gen.plan import build_plan
from scripts_gen.validate import Validator

pytestmark = pytest.mark.slow
CITE = re.compile(r"\[([A-Za-z0-9][\w.:\-]*)\]")
#: floors: the default model's counts on these items, less a margin (SmolLM2 fails the buyer floor)
SCRIPT_MIN_PHRASED = 6   # of 8 talking points (Qwen2.5-Coder-0.5B: 8)
BUYER_MIN_FROM_MODEL = 4  # of 6 lines (Qwen2.5-Coder-0.5B: 5; SmolLM2: under 2)


@pytest.fixture(scope="module")
def model() -> LocalChatModel:
    """The default local model (coach.llm.catalog.DEFAULT_MODEL): what a fresh install runs
    (SALESCOACH_TEST_LLM=<catalog name> tries another)."""
    return LocalChatModel(local_model=os.environ.get("SALESCOACH_TEST_LLM", ""), cache_dir=str(MODEL_CACHE),
                          temperature=0.0, max_new_tokens=64, timeout_s=600)


@pytest.fixture(scope="module")
def svc(tmp_path_factory, model) -> Services:
    from coach.accounts.service import import_directory

    s = Settings.for_tests(tmp_path_factory.mktemp("quality") / "data")
    s.ensure_dirs()
    svc = Services(s, kb=MemoryKB(), llm=model)
    import_directory(svc.db, REPO_ROOT / "knowledge" / "demo")
    return svc


def test_script_points_are_mostly_phrased_by_the_model_and_never_invent(svc, model) -> None:
    plan = build_plan(svc, account="Westlake Riverside Hospital", goal="agree a two-week trial")
    validator = Validator({c: f"{x.title}\n{x.customer}\n{x.body}" for c, x in plan.cases.items()}, svc.kb.has_case)
    points = [(sec, item) for sec in plan.sections if sec.key in ("discovery", "value_story", "next_step")
              for item in sec.items][:8]
    assert len(points) == 8
    phrased = 0
    for sec, item in points:
        p = _phrase_item(item, sec, ModelWriter(model), validator, max_tokens=64, timeout_s=600,
                         context_tokens=2048, on_token=None)
        if p.text is None:
            continue
        phrased += 1
        sources = item.text + " ".join(plan.cases[c].body for c in item.citations)
        assert number_set(CITE.sub("", p.text)) <= number_set(sources), p.text
        assert CITE.findall(p.text) == item.citations, "code, not the model, cites"
        assert "<<<" not in p.text
    assert phrased >= SCRIPT_MIN_PHRASED, f"only {phrased} of 8 talking points phrased"


@pytest.mark.parametrize("question", [
    "How did we answer the price objection at Shanghai Eastbank Hospital?",
    "Why did we lose the skin analyser deal at Aurora Beauty Mall?",
    "Which results convinced the fleet operator to buy electric vans?",
])
def test_chat_shows_only_supported_sentences(model, question) -> None:
    kb = MemoryKB()
    cases = [{"id": h.id, "title": h.title, "outcome": h.outcome, "industry": h.industry,
              "snippet": best_snippet(kb.get_case(h.id).body, question)} for h in kb.search(question, k=4)]
    passages = {c["id"]: case_passage_text(c) for c in cases}
    checker = SupportChecker([Passage(ref=i, text=t) for i, t in passages.items()], question)
    s = stream(model, build_messages(question, cases, [], []), max_tokens=128, timeout_s=600)
    pieces = list(checked_pieces(stream_sentences(s), checker))
    assert s.result.ok and pieces, s.result.error
    for p in (p for p in pieces if p.ok):
        ids = CITE.findall(p.text)
        sources = " ".join(passages[i] for i in ids)
        assert number_set(CITE.sub("", p.text)) <= number_set(sources), f"unsupported number shown: {p.text}"
        assert not re.search(r"(?m)^\s*[A-D]\)|<<<", p.text), "template debris shown"


def test_buyer_lines_come_from_the_model_when_they_pass_and_never_leak(model) -> None:
    voice = BuyerVoice(name="Zhang Wei", role="operations director", company="Golden Wok Foods",
                       product="ColdLink cold-chain service", personality="practical and impatient")
    withheld = ["our biggest customer threatened to leave after two spoiled deliveries", "a food-safety audit in May"]
    acts = [
        ("raise_objection", "Your price is higher than our current carrier's."),
        ("answer", "We run 40 trucks out of two warehouses."),
        ("reveal_need", "Late deliveries in the morning rush cost us orders every week."),
        ("raise_objection", "I am not sure your drivers know our routes."),
        ("answer", "Our contract with the current carrier ends in March."),
        ("counter_offer", "The most we can pay is ¥850,000 a year."),
    ]
    from_model = 0
    for act, content in acts:
        req = BuyerLineRequest(act=act, content=content, voice=voice, rep_text="What matters most to you here?",
                               required=["¥850,000"] if act == "counter_offer" else [], withheld=withheld,
                               withheld_numbers=["900000", "1000000"])
        line = phrase_buyer_line(model, req, max_tokens=64, timeout_s=600)
        assert "spoiled" not in line.text and "audit" not in line.text.lower()
        assert not ({"900000", "1000000"} & number_set(line.text))
        from_model += line.source == "llm"
    assert from_model >= BUYER_MIN_FROM_MODEL, f"only {from_model} of 6 buyer lines from the model"
