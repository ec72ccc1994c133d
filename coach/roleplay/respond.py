"""What the buyer owes the rep's last turn, and what it may not say.

- ``rep_intent``: the one thing a rep turn asks of the buyer (close > price > question >
  statement), from the classified acts.
- ``addresses``: whether a buyer act is a response to that intent (a question gets an
  answer, a need or a deflection; a close gets accept, refuse or counter). The policy
  uses it to choose; the responsiveness benchmark uses it to measure.
- ``unseen_references``: prices, numbers and deal terms in a buyer line that neither the
  conversation so far nor the persona's public sheet contains ("with the exit clause"
  before anyone spoke of one, "that's more than I pay" before any price). The renderer
  drops template lines that break it and rejects LLM lines that do.
- ``nearest_fact``: the persona fact that answers a question best (meaning, not keywords).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from coach.roleplay.acts import RepActs
    from coach.roleplay.personas import Persona

Intent = Literal["close", "price", "question", "statement", "none"]

QUESTION_ACTS = ("discovery_open", "discovery_closed", "clarify", "authority_question")
CLOSE_ACTS = ("pushy_close", "next_step")
#: buyer acts that answer each intent
ANSWERS: dict[str, tuple[str, ...]] = {
    "close": (
        "accept_next_step", "refuse_close", "raise_objection", "counter_offer", "accept_offer", "end_call", "stall", "ask_price",
    ),
    "price": ("counter_offer", "accept_offer", "raise_objection", "refuse_close", "end_call", "ask_price", "stall"),
    "question": ("answer", "reveal_need", "deflect"),
    "statement": (
        "interested", "ask_proof", "concede_point", "raise_objection", "stall", "answer", "reveal_need",
        "counter_offer", "accept_offer", "end_call", "deflect", "refuse_close",
    ),
    "none": ("confused", "end_call"),
}


def rep_intent(acts: "RepActs") -> Intent:
    if acts.has("empty", "gibberish"):
        return "none"
    if acts.has(*CLOSE_ACTS):
        return "close"
    if acts.prices or acts.has("accept_offer", "price_offer", "concession"):
        return "price"
    if acts.has(*QUESTION_ACTS):
        return "question"
    return "statement"


def addresses(intent: Intent, buyer_act: str) -> bool:
    return buyer_act in ANSWERS[intent]


# --------------------------------------------------------------- unseen references --
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
#: deal terms a buyer may only name once they came up (or are in its sheet)
DEAL_TERMS = (
    "exit clause", "clause", "discount", "warranty", "pilot", "trial", "rebate", "penalty", "guarantee",
    "free", "payment terms", "reference", "sla", "service level", "cancel", "termination", "%", "percent",
    "退出条款", "条款", "折扣", "试点", "试用", "保修", "违约", "免费",
)
#: phrases that point back at a price the rep said ("that's more than I pay")
PRICE_BACKREF = re.compile(
    r"\b(that'?s (too )?(more|much|expensive|steep|high)|more than (i|we) pay|that (price|number|figure|quote)|your (price|number|quote)|"
    r"at that price|too expensive|the price you)\b|这个价|太贵|报价太高",
    re.IGNORECASE,
)


def _nums(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def public_sheet(persona: "Persona") -> str:
    """What the buyer may say at any time: its opening, facts, authority and role."""
    parts = [persona.opening_line, persona.role, persona.company, *persona.background, *persona.authority.others]
    return "\n".join(parts)


def unseen_references(line: str, said_so_far: str, persona: "Persona", *, allowed: str = "") -> list[str]:
    """What ``line`` refers to that nobody has said and the public sheet lacks.

    ``said_so_far`` is every turn's text; ``allowed`` is what this act may newly say (its
    revealed need, its raised objection, its own counter-offer)."""
    known = f"{said_so_far}\n{public_sheet(persona)}\n{allowed}"
    known_low = known.lower()
    low = line.lower()
    out = [f"number {n}" for n in sorted(_nums(line) - _nums(known))]
    for term in DEAL_TERMS:
        if re.search(rf"(?<![a-z]){re.escape(term)}(?![a-z])", low) and not re.search(
            rf"(?<![a-z]){re.escape(term)}", known_low
        ):
            out.append(f"term {term!r}")
    if PRICE_BACKREF.search(line) and not _nums(said_so_far) and not re.search(
        r"\b(price|cost|costs|pricing|quote|discount|\$)|价格|报价|费用", said_so_far, re.IGNORECASE
    ):
        out.append("a price nobody has named")
    return out


# ----------------------------------------------------------------------- answers --
def nearest_fact(question: str, facts: list[str], shared: set[int]) -> int:
    """Index of the fact closest in meaning to ``question``; facts already shared lose a
    little, so a new question gets new information when it is about as relevant."""
    from coach.roleplay.act_model import embed

    vecs = embed([question, *facts])
    sims = vecs[1:] @ vecs[0]
    scored = [float(s) - (0.04 if i in shared else 0.0) for i, s in enumerate(sims)]
    return max(range(len(facts)), key=lambda i: scored[i])
