"""For a failed scorecard check: the turn where it was missed (quoted) and what would
have passed there, with an example line of the act that was needed.

Example lines come from our own labelled rep turns (``data/rep_turns.jsonl``, train
split, same language as the persona), so they are real instances of the act the
classifier recognises.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

from coach.roleplay.act_model import TURNS_FILE
from coach.roleplay.transcript import quote, raised_objection

if TYPE_CHECKING:  # pragma: no cover
    from coach.roleplay.personas import Persona
    from coach.roleplay.scoring import Check, CheckResult

#: how to say each act in the advice (users' words)
ACT_WORDS = {
    "discovery_open": "an open question about their work",
    "discovery_closed": "a question",
    "clarify": "a clarifying question",
    "authority_question": "a question about who else decides",
    "acknowledge": "an acknowledgement",
    "listening": "a reflection of what they said",
    "need_linked_value": "value tied to the need they told you",
    "value_statement": "a pitch",
    "pushy_close": "a push to close",
    "price_offer": "a price or discount",
    "greeting": "small talk",
    "monologue": "a monologue",
    "evidence": "evidence (a named customer and a measured result)",
    "roi": "the return in their numbers",
    "confirm": "a check that the answer landed",
    "next_step": "a concrete next step",
    "next_step_specific": "a next step with a day and time",
    "concession": "a price move",
}


@lru_cache(maxsize=4)
def _examples(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in TURNS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        if d["split"] == "train" and d.get("lang", "en") == lang and len(d["acts"]) == 1:
            out.setdefault(d["acts"][0], d["text"])
    return out


def example(act: str, lang: str = "en") -> str:
    if act == "next_step_specific":
        act = "next_step"
    return _examples(lang).get(act) or _examples("en").get(act, "")


def _rep(turns: list[dict]) -> list[int]:
    return [i for i, t in enumerate(turns) if t["speaker"] == "rep"]


def _first(turns: list[dict], acts: tuple[str, ...], after: int = -1) -> int | None:
    return next((i for i in _rep(turns) if i > after and set(acts) & set(turns[i].get("acts", []))), None)


def _after_buyer(turns: list[dict], buyer_acts: tuple[str, ...]) -> int | None:
    for i, t in enumerate(turns):
        if t["speaker"] == "buyer" and t.get("act") in buyer_acts:
            nxt = next((j for j in _rep(turns) if j > i), None)
            if nxt is not None:
                return nxt
    return None


def _where(act: str, turns: list[dict]) -> int | None:
    """The rep turn where ``act`` was most needed."""
    reps = _rep(turns)
    if not reps:
        return None
    if act == "acknowledge":
        spot = _after_buyer(turns, ("raise_objection", "ask_proof"))
    elif act in ("listening", "need_linked_value"):
        spot = _after_buyer(turns, ("reveal_need",))
    elif act in ("discovery_open", "authority_question", "evidence", "roi"):
        spot = _first(turns, ("value_statement", "pushy_close", "price_offer"))
    elif act in ("next_step_specific", "next_step"):
        spot = _first(turns, ("next_step", "pushy_close"))
        spot = spot if spot is not None else reps[-1]
    else:
        spot = None
    return spot if spot is not None else reps[0]


def would_pass(check: "Check", res: "CheckResult", turns: list[dict], persona: "Persona") -> tuple[str, int | None]:
    """(what would have passed, the rep turn it is about) for a failed check."""
    r = check.rule
    lang = persona.language

    def at(i: int | None, text: str) -> tuple[str, int | None]:
        return (f"At {quote(turns, i)}: {text}" if i is not None else text[0].upper() + text[1:]), i

    def ex(act: str) -> str:
        e = example(act, lang)
        return f', e.g. "{e}"' if e else ""

    if r.type == "act_count" and r.max is not None and r.act:
        i = _first(turns, (r.act,))
        if r.act == "pushy_close":
            return at(i, f"propose a step the buyer can say yes to instead of pressure{ex('next_step')}.")
        return at(i, f"leave out {ACT_WORDS.get(r.act, r.act)} here.")
    if r.type == "act_count" and r.act:
        return at(_where(r.act, turns), f"{ACT_WORDS.get(r.act, r.act)} would have counted{ex(r.act)}.")
    if r.type == "act_before" and r.act:
        i = _first(turns, (r.before or "value_statement",))
        return at(i, f"ask {ACT_WORDS.get(r.act, r.act)} before this pitch{ex(r.act)}.")
    if r.type == "needs_revealed":
        return at(_where("discovery_open", turns), f"ask about their day, their incidents, their team{ex('discovery_open')}.")
    if r.type in ("talk_share", "max_turn_words"):
        reps = _rep(turns)
        i = max(reps, key=lambda j: turns[j].get("words", 0)) if reps else None
        return at(i, f"make one point and hand the turn back with a question{ex('discovery_open')}.")
    if r.type == "objection_step":
        step = r.step or "acknowledge"
        missed = res.objections[0] if res.objections else None
        raised_at = next((k for k, t in enumerate(turns) if missed and raised_objection(t) == missed), None)
        i = next((j for j in _rep(turns) if raised_at is not None and j > raised_at), None)
        if step == "respond":
            item = persona.agenda_item(res.objections[0]) if res.objections else None
            acts = [a for a in (item.resolved_by if item else ["evidence", "roi"]) if a in ACT_WORDS]
            need = " or ".join(ACT_WORDS[a] for a in acts[:2]) or "proof"
            return at(i, f"answer with {need}{ex(acts[0] if acts else 'evidence')}.")
        return at(i, f"start with {ACT_WORDS.get(step, step)}{ex(step)}.")
    if r.type == "objections_resolved":
        reps = _rep(turns)
        return at(reps[-1] if reps else None, f"answer with the proof it needs, then check{ex('confirm')}.")
    if r.type == "outcome_in":
        reps = _rep(turns)
        return at(reps[-1] if reps else None, f"once objections are settled, propose a dated step{ex('next_step')}.")
    if r.type == "concession_discipline":
        i = res.turns[0] if res.turns else None
        return at(i, f"show value first (evidence or the return in their numbers){ex('roi')}, then move on price.")
    return "", None
