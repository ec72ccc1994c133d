"""After the session: what the buyer was hiding and how close the rep got to it.

Everything comes from the persona sheet and the session's final state and trace: which
hidden needs were uncovered (and by which rep turn), which agenda objections came up
and were settled, whether the decision makers were reached, how far interest and trust
got against what this buyer needs to agree, and (in a negotiation) the budget.
"""

from __future__ import annotations

from typing import Any

from coach.roleplay.buyer_lines import format_price
from coach.roleplay.missed import ACT_WORDS
from coach.roleplay.personas import Persona
from coach.roleplay.state import PROFILES, BuyerState


def _turn_of(trace: list[dict], **match: Any) -> int | None:
    for i, t in enumerate(trace):
        if t["speaker"] == "buyer" and all(t.get(k) == v for k, v in match.items()):
            return i
    return None


def debrief(persona: Persona, st: BuyerState, trace: list[dict]) -> dict[str, Any]:
    prof = PROFILES[persona.difficulty]
    needs = []
    for n in persona.hidden_needs:
        at = _turn_of(trace, act="reveal_need", need=n.id)
        needs.append(
            {
                "need": n.description,
                "uncovered": n.id in st.revealed_needs,
                "asked_at_turn": at - 1 if at else None,
                "value_tied": n.id in st.linked_needs,
            }
        )
    objections = []
    for a in persona.objection_agenda:
        objections.append(
            {
                "objection": a.line,
                "raised": a.objection in st.raised_objections,
                "settled": a.objection in st.resolved_objections,
                "what_settles_it": list(a.resolved_by),
            }
        )
    b = persona.budget
    money = None
    if st.rep_prices or st.deal_price:
        money = {
            "target": format_price(b.aim, b.currency, persona.language),
            "limit": format_price(b.amount * (1 + b.flexibility), b.currency, persona.language),
            "deal": format_price(st.deal_price, b.currency, persona.language) if st.deal_price else None,
        }
    return {
        "needs": needs,
        "needs_uncovered": f"{sum(x['uncovered'] for x in needs)} of {len(needs)}",
        "objections": objections,
        "decision_makers": {
            "others": list(persona.authority.others),
            "buyer_decides": persona.authority.decision_maker,
            "reached": st.authority_addressed,
        },
        "interest": {"reached": round(st.interest), "needed": prof.accept_interest},
        "trust": {"reached": round(st.trust), "needed": prof.accept_trust},
        "money": money,
        "outcome": st.outcome,
    }


def debrief_md(d: dict[str, Any]) -> str:
    """The debrief as short markdown for the web page."""
    out = ["### What the buyer was hiding", f"**Needs uncovered: {d['needs_uncovered']}**\n"]
    for n in d["needs"]:
        mark = "&#10004;" if n["uncovered"] else "&#10008;"
        when = f" (your question at turn {n['asked_at_turn']})" if n["asked_at_turn"] is not None else ""
        tied = "; you tied value to it" if n["value_tied"] else ""
        out.append(f"- {mark} {n['need']}{when}{tied}")
    if d["objections"]:
        out.append("\n**Objections on the buyer's mind**")
        for o in d["objections"]:
            state = "settled" if o["settled"] else ("raised, not settled" if o["raised"] else "never came up")
            settles = " or ".join(ACT_WORDS.get(a, a.replace("_", " ")) for a in o["what_settles_it"])
            out.append(f"- \"{o['objection']}\" - {state}; what settles it: {settles}")
    dm = d["decision_makers"]
    if dm["others"]:
        who = ", ".join(dm["others"])
        role = "the buyer decides, with" if dm["buyer_decides"] else "the decision needs"
        out.append(f"\n**Decision:** {role} {who}; {'you asked about them' if dm['reached'] else 'you never asked about them'}.")
    out.append(
        f"\n**How close you got:** interest {d['interest']['reached']} of the {d['interest']['needed']} this buyer needs "
        f"to agree, trust {d['trust']['reached']} of {d['trust']['needed']}."
    )
    if d.get("money"):
        m = d["money"]
        deal = f"; you agreed {m['deal']}" if m.get("deal") else ""
        out.append(f"\n**Money:** the buyer aimed for {m['target']} and could stretch to {m['limit']}{deal}.")
    return "\n".join(out)
