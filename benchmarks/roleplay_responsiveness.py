"""Buyer responsiveness: does the buyer answer what the rep just did, and does it ever
refer to a price, clause or number nobody has said?

200 scripted rep turns (``--turns``) drawn with a fixed seed from the pools below
(varied wording written for this benchmark, not copied from persona keywords or the
classifier's training turns), each with the intent it was written for: question, close
(a proposal or pressure), price (a number or a discount) or statement. Sessions run on
every persona in turn (template renderer) and restart when the buyer ends one.

- addressed: the buyer's act answers the *written* intent (``respond.ANSWERS``), so a
  misread rep turn counts against the buyer. Target >= 95 %.
- unseen: the buyer's line names a number, a deal term or a price back-reference that
  neither an earlier turn nor the persona's sheet (facts, needs, agenda) holds.
  Target 0. The buyer's own counter-offer is allowed once the rep has named a price.

  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/roleplay_responsiveness.py

Writes benchmarks/results/roleplay_responsiveness.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.roleplay.buyer_lines import format_price  # noqa: E402
from coach.roleplay.engine import Simulation  # noqa: E402
from coach.roleplay.personas import Persona, load_personas  # noqa: E402
from coach.roleplay.respond import addresses, rep_intent, unseen_references  # noqa: E402

POOLS: dict[str, dict[str, list[str]]] = {
    "en": {
        "question": [
            "What does a normal week look like for your people?",
            "How did you end up looking at this now?",
            "Which part of the current setup annoys you most?",
            "Can you walk me through what happens on a bad day?",
            "Who would you need on board to change this?",
            "What did the last supplier get wrong?",
            "How do you measure whether this kind of project worked?",
            "Is this something your team raised, or did it come from above?",
            "Where does most of the time go at the moment?",
            "What would make you say no to this?",
            "How many people deal with this every day?",
            "When you say it's not working, what do you mean exactly?",
            "What happened the last time you changed a system like this?",
            "Do you have a date in mind by which this must be solved?",
            "What would you do if nothing changed this year?",
        ],
        "close": [
            "Can we book a working session with your team next Thursday at ten?",
            "Shall I put a short review in your calendar for Monday afternoon?",
            "Let's get the paperwork signed today, shall we?",
            "How about a trial at one site starting on the 12th, with a check-in the Friday after?",
            "You've seen enough, just sign and we'll sort out the details.",
            "Could I come by on Wednesday with our engineer to look at your setup?",
            "I need your answer before the end of the call.",
            "Would a follow-up with your finance people next week make sense?",
        ],
        "price": [
            "For your size the price would be {p100}.",
            "I can bring it down to {p90}.",
            "We could do {p95} if you take the longer term.",
            "There's a 10% discount for paying annually.",
            "The full package lists at {p100}; with the launch offer it's {p92}.",
        ],
        "statement": [
            "Understood.",
            "That's a fair point, thank you.",
            "So the real issue is the time lost, not the tool itself.",
            "Our platform does scheduling, reporting and billing in one place.",
            "A company about your size cut its delays by a fifth within a quarter; I can share their write-up.",
            "You mentioned your people are stretched, and this takes the manual chasing off their plate.",
            "At your volumes this pays back inside the first year.",
            "Sorry, give me a second to find my notes.",
            "We've been in this market for fifteen years.",
            "Makes sense, I'd be careful too.",
        ],
    },
    "zh": {
        "question": [
            "你们平时一周的工作是怎么安排的？",
            "现在最让您头疼的是哪一块？",
            "上一家供应商哪里做得不好？",
            "这个事情还需要谁点头？",
            "您说的不好用，具体是指什么？",
            "今年不改变的话会怎么样？",
            "有多少人每天在处理这件事？",
        ],
        "close": [
            "下周四上午我们约一个小时和您的团队过一下，可以吗？",
            "今天就把合同签了吧。",
            "我们先在一个点试用两周，12号开始，月底复盘，行吗？",
            "别考虑了，现在就定下来吧。",
        ],
        "price": ["按你们的规模，价格是{p100}。", "我可以降到{p90}。", "年付可以打九折。"],
        "statement": [
            "明白。",
            "您说得有道理。",
            "所以真正的问题是时间浪费，不是工具本身。",
            "我们的系统把排班、报表和结算放在一起。",
            "一家和您规模差不多的公司，一个季度延误少了两成。",
            "稍等，我找一下笔记。",
        ],
    },
}
WEIGHTS = {"question": 0.4, "close": 0.2, "price": 0.15, "statement": 0.25}


def fill(line: str, persona: Persona) -> str:
    b = persona.budget
    ref = b.list_price or b.amount * 1.2
    vals = {f"p{k}": format_price(round(ref * k / 100, -2), b.currency, persona.language) for k in (100, 95, 92, 90)}
    return line.format(**vals)


def sheet_allowed(persona: Persona) -> str:
    parts = [n.reveal_line for n in persona.hidden_needs]
    parts += [f"{a.line} {a.detail or ''}" for a in persona.objection_agenda]
    return "\n".join(parts)


def run(n_turns: int, seed: int) -> dict:
    personas = list(load_personas(ROOT / "knowledge").values())
    rng = random.Random(seed)
    rows = []
    session = 0
    t0 = time.perf_counter()
    while len(rows) < n_turns:
        persona = personas[session % len(personas)]
        sim = Simulation(persona, seed=session)
        session += 1
        pools = POOLS[persona.language]
        while not sim.ended and len(rows) < n_turns:
            intent = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            line = fill(rng.choice(pools[intent]), persona)
            said_before = "\n".join(t["text"] for t in sim.turns) + "\n" + line
            rep_prices_before = list(sim.state.rep_prices)
            a = time.perf_counter()
            buyer = sim.rep_turn(line)
            dt = time.perf_counter() - a
            rep = sim.turns[-2]
            allowed = sheet_allowed(persona)
            if buyer.get("offer") and (rep_prices_before or rep.get("prices")):
                allowed += "\n" + format_price(buyer["offer"], persona.budget.currency, persona.language)
            unseen = unseen_references(buyer["text"], said_before, persona, allowed=allowed)
            classified = rep_intent(_acts(rep))
            rows.append(
                {
                    "persona": persona.id,
                    "rep": line,
                    "intent": intent,
                    "classified_intent": classified,
                    "rep_acts": rep.get("acts"),
                    "buyer_act": buyer["act"],
                    "buyer": buyer["text"],
                    "addressed": addresses(intent, buyer["act"]),
                    "unseen": unseen,
                    "turn_s": round(dt, 4),
                }
            )
    elapsed = time.perf_counter() - t0
    by_intent = {
        i: {
            "turns": sum(1 for r in rows if r["intent"] == i),
            "addressed": round(sum(r["addressed"] for r in rows if r["intent"] == i) / max(1, sum(1 for r in rows if r["intent"] == i)), 3),
            "intent_read_right": round(
                sum(r["classified_intent"] == i for r in rows if r["intent"] == i) / max(1, sum(1 for r in rows if r["intent"] == i)), 3
            ),
        }
        for i in WEIGHTS
    }
    return {
        "turns": len(rows),
        "sessions": session,
        "renderer": "template",
        "addressed_share": round(sum(r["addressed"] for r in rows) / len(rows), 3),
        "unseen_share": round(sum(1 for r in rows if r["unseen"]) / len(rows), 3),
        "by_intent": by_intent,
        "not_addressed": [r for r in rows if not r["addressed"]][:25],
        "unseen_examples": [r for r in rows if r["unseen"]][:25],
        "elapsed_s": round(elapsed, 1),
    }


def _acts(rep_turn: dict):
    from coach.roleplay.acts import RepActs

    keys = ("acts", "matched", "words", "questions_open", "questions_closed", "prices", "needs_asked", "needs_linked")
    return RepActs.from_dict({k: rep_turn[k] for k in keys})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    res = run(args.turns, args.seed)
    out = ROOT / "benchmarks" / "results" / "roleplay_responsiveness.json"
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    summary = {k: res[k] for k in ("turns", "sessions", "addressed_share", "unseen_share", "by_intent")}
    sys.stdout.write(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
