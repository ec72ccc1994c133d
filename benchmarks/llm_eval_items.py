"""The items of the model evaluation (benchmarks/llm_eval.py): the product's own model jobs,
built from the repo's knowledge base and the shared evaluation data, never written by hand
per item.

* ``script``: talking points of grounded pre-visit plans (scripts_gen.plan) for the demo
  accounts, each one phrasing call exactly as the product makes it;
* ``report``: post-call summaries of real negotiations (craigslistbargain dev.json, first
  dialogues with at least 6 messages), through the product's report code;
* ``chat``: questions generated from case metadata (objection handled, proof points, why
  lost), answered from retrieved excerpts (the chain prompt), checked sentence by sentence;
* ``buyer``: buyer lines from decided acts of the shipped personas (reveal a need, raise an
  objection, answer with a background fact, counter-offer), with the rest of the hidden
  agenda withheld.

Each item has an ``id``; its split (dev: chooses the default model, test: reported) is a
hash of the id, fixed before any model output was seen.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT, SHARED_DATA


def split_of(item_id: str) -> str:
    return "dev" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


@dataclass
class Item:
    id: str
    job: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def split(self) -> str:
        return split_of(self.id)


# ----------------------------------------------------------------------------- script --
SCRIPT_REQUESTS = [
    {"account": "Westlake Riverside Hospital", "goal": "agree a two-week trial"},
    {"notes": "Fleet operator with 300 diesel vans; they say the electric van is too expensive and charging is a worry"},
    {"notes": "Bakery chain unhappy with late cold-chain deliveries; they compare us with their current carrier"},
    {"notes": "Department store beauty floor wants skin analysers but legal worries about face images"},
    {"notes": "Finance team of a software company still plans on spreadsheets; CFO says the price is too high"},
]


def script_items(services: Any, n: int) -> list[Item]:
    from scripts_gen.plan import build_plan

    out: list[Item] = []
    for r, req in enumerate(SCRIPT_REQUESTS):
        plan = build_plan(services, account=req.get("account"), notes=req.get("notes"), goal=req.get("goal"))
        for sec in plan.sections:
            for i, item in enumerate(sec.items):
                out.append(Item(f"script-{r}-{sec.key}-{i}", "script", {"plan": plan, "section": sec, "item": item}))
    rng = random.Random(7)
    rng.shuffle(out)
    return out[:n]


# ----------------------------------------------------------------------------- report --
def report_items(n: int) -> list[Item]:
    path = SHARED_DATA / "dialogues" / "craigslistbargain" / "dev.json"
    dialogues = json.loads(path.read_text(encoding="utf-8"))
    out: list[Item] = []
    for d in dialogues:
        kbs = d["scenario"]["kbs"]
        lines = [f"{kbs[e['agent']]['personal']['Role'].capitalize()}: {' '.join(str(e['data']).split())}"
                 for e in d["events"] if e["action"] == "message" and str(e.get("data") or "").strip()]
        if len(lines) >= 6:
            # the seller is the rep of this call
            out.append(Item(f"report-{d['uuid']}", "report", {"transcript": "\n".join(lines)}))
        if len(out) >= n:
            break
    return out


# ------------------------------------------------------------------------------- chat --
def chat_items(kb: Any, n: int) -> list[Item]:
    from scripts_gen.casefacts import parse_case_facts

    out: list[Item] = []
    for case in sorted(kb.cases.values(), key=lambda c: c.id):
        facts = parse_case_facts(case.body)
        who = (case.customer or case.title).replace("(fictional)", "").strip()
        if case.outcome == "won" and facts.objections:
            obj = facts.objections[0].objection.replace("-", " ")
            out.append(Item(f"chat-{case.id}-objection", "chat",
                            {"question": f"How did we handle the {obj} objection at {who}?"}))
        if case.outcome == "won" and facts.proof_points:
            out.append(Item(f"chat-{case.id}-proof", "chat",
                            {"question": f"Which results convinced {who} to buy {case.product}?"}))
        if case.outcome == "lost":
            out.append(Item(f"chat-{case.id}-lost", "chat", {"question": f"Why did we lose the {case.product} deal with {who}?"}))
    rng = random.Random(11)
    rng.shuffle(out)
    return out[:n]


# ------------------------------------------------------------------------------ buyer --
REP_SAID = {
    "en": {"reveal_need": "What slows your team down most today?", "raise_objection": "Our price for the package is as quoted.",
           "answer": "Can you tell me a bit about how things work on your side?", "counter_offer": "Can we agree on the list price?"},
    "zh": {"reveal_need": "现在团队最头疼的问题是什么？", "raise_objection": "整套方案的价格就是报价单上的。",
           "answer": "能介绍一下你们现在的情况吗？", "counter_offer": "按报价单的价格成交可以吗？"},
}


def buyer_items(knowledge_dir: Path, n: int) -> list[Item]:
    from coach.llm.buyer import BuyerLineRequest, BuyerVoice
    from coach.roleplay.personas import load_personas
    from coach.roleplay.buyer_lines import format_price

    out: list[Item] = []
    for pid, p in sorted(load_personas(knowledge_dir).items()):
        voice = BuyerVoice(name=p.name, role=p.role, company=p.company, product=p.product,
                           personality=p.personality, language=p.language)
        said = REP_SAID["zh" if p.language == "zh" else "en"]
        hidden_numbers = [str(int(x)) for x in (p.budget.amount, p.budget.target) if x]

        def withheld(except_need: str | None = None) -> list[str]:
            return [t for need in p.hidden_needs if need.id != except_need for t in (need.reveal_line, need.description)]

        for need in p.hidden_needs:
            out.append(Item(f"buyer-{pid}-need-{need.id}", "buyer", {"request": BuyerLineRequest(
                act="reveal_need", content=need.reveal_line, voice=voice, rep_text=said["reveal_need"],
                withheld=withheld(need.id), withheld_numbers=hidden_numbers)}))
        for item in p.objection_agenda:
            out.append(Item(f"buyer-{pid}-objection-{item.objection}", "buyer", {"request": BuyerLineRequest(
                act="raise_objection", content=item.line, voice=voice, rep_text=said["raise_objection"],
                withheld=withheld(), withheld_numbers=hidden_numbers)}))
        for i, fact in enumerate(p.background[:2]):
            out.append(Item(f"buyer-{pid}-fact-{i}", "buyer", {"request": BuyerLineRequest(
                act="answer", content=fact, voice=voice, rep_text=said["answer"],
                withheld=withheld(), withheld_numbers=hidden_numbers)}))
        if p.budget.target:
            offer = format_price(p.budget.target * 0.85, p.budget.currency, p.language)
            content = (f"我们最多只能出{offer}。" if p.language == "zh" else f"The most we can do right now is {offer}.")
            out.append(Item(f"buyer-{pid}-offer", "buyer", {"request": BuyerLineRequest(
                act="counter_offer", content=content, voice=voice, rep_text=said["counter_offer"], required=[offer],
                withheld=withheld(), withheld_numbers=hidden_numbers)}))
    rng = random.Random(13)
    rng.shuffle(out)
    return out[:n]


def knowledge_dir() -> Path:
    return REPO_ROOT / "knowledge"
