"""The buyer's policy: choose its next act from the hidden state and the rep's acts.

Rules are ordered (walk-away first, then confusion, price, a close, objections, needs,
answers). Whatever else happens, the buyer answers the rep's last turn first
(``respond.rep_intent``): a close gets accept, refuse or counter; a question gets an
answer from the persona's facts (the one nearest in meaning), a hidden need or a
deflection the agenda explains, and an agenda objection due on that turn comes after the
answer. The seeded RNG only breaks ties where a real buyer could go either way (does a
closed question still reveal a need, answer an idle turn).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from coach.roleplay.acts import RepActs
from coach.roleplay.negotiation import respond_to_price
from coach.roleplay.personas import Persona
from coach.roleplay.respond import QUESTION_ACTS, nearest_fact, rep_intent
from coach.roleplay.state import PROFILES, BuyerState, end, raise_objection


@dataclass
class BuyerAct:
    kind: str
    objection: str | None = None
    need: str | None = None
    offer: float | None = None
    #: background fact index for ``answer``
    fact: int | None = None
    #: why the policy chose it (shown in the debug trace, never to the rep)
    reason: str = ""
    repeat: bool = False
    #: an agenda objection voiced after the answer to the rep's question
    then_objection: str | None = None
    #: an objection the buyer lets go of before answering the rep's question
    conceded: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _end(st: BuyerState, outcome: str, reason: str) -> BuyerAct:
    end(st, outcome, reason)
    return BuyerAct("end_call", reason=reason)


def _authority_blocks(persona: Persona, st: BuyerState) -> bool:
    return not persona.authority.decision_maker and not st.authority_addressed


def choose(persona: Persona, st: BuyerState, acts: RepActs, rng: random.Random) -> BuyerAct:
    """The buyer's act after the rep turn ``acts`` (``st`` already updated)."""
    prof = PROFILES[persona.difficulty]
    wa = persona.walk_away

    # ---- walk away ----------------------------------------------------------------
    if st.turns >= wa.max_turns:
        return _end(st, "timed_out", f"the call reached {wa.max_turns} rep turns")
    if st.patience <= 0:
        return _end(st, "walked_away", "patience ran out")
    if st.pushy_closes >= wa.pushy_closes and acts.has("pushy_close"):
        return _end(st, "walked_away", f"{st.pushy_closes} pushy closes")

    # ---- confusion ----------------------------------------------------------------
    if acts.has("empty", "gibberish"):
        return BuyerAct("confused", reason="empty or unintelligible rep turn")

    # ---- price ----------------------------------------------------------------------
    if acts.has("accept_offer") and st.buyer_offers:
        st.deal_price = st.buyer_offers[-1]
        _resolve_price(st)
        end(st, "deal", f"rep accepted the buyer's offer {st.deal_price:g}")
        return BuyerAct("accept_offer", offer=st.deal_price, reason=st.end_reason or "")
    if acts.prices and persona.budget.negotiable:
        act = _negotiate(persona, st, acts, rng)
        if act is not None:
            return act
    if acts.has("price_offer") and not acts.prices and not st.rep_prices and not acts.has("next_step"):
        # a discount on a price nobody has named
        if "price" in st.pending_objections:
            st.pending_objections.remove("price")
        return BuyerAct("ask_price", reason="a discount offered before any price was named")

    intent = rep_intent(acts)
    # ---- a close: accept, refuse or counter ----------------------------------------------
    if intent == "close":
        return _answer_close(persona, st, acts, prof)

    # ---- objections -----------------------------------------------------------------
    if st.pending_objections:
        oid = st.pending_objections[0]
        raise_objection(st, oid)
        if intent == "question":
            act = _answer_question(persona, st, acts, rng)
            act.then_objection = oid
            act.reason += "; then the agenda objection"
            return act
        return BuyerAct("raise_objection", objection=oid, reason="agenda trigger fired")
    if st.just_resolved:
        if intent == "question":
            act = _answer_question(persona, st, acts, rng)
            act.conceded = st.just_resolved[-1]
            act.reason = "objection resolved; " + act.reason
            return act
        return BuyerAct("concede_point", objection=st.just_resolved[-1], reason="objection resolved")
    focus = st.focus_objection
    if focus and st.weak_response == focus and intent != "question":
        item = persona.agenda_item(focus)
        if item and set(item.resolved_by) & {"evidence", "roi"}:
            return BuyerAct("ask_proof", objection=focus, reason="answer without the proof this objection needs")
        return BuyerAct("raise_objection", objection=focus, repeat=True, reason="answer does not address the objection")
    if focus and st.answered_objection == focus and intent != "question":
        return BuyerAct("interested", objection=focus, reason="answered with what the objection needs; not settled yet")

    # ---- needs and answers -------------------------------------------------------------
    if intent == "question":
        return _answer_question(persona, st, acts, rng)
    if acts.has("need_linked_value", "evidence", "roi") and not acts.has("monologue"):
        if acts.has("value_statement") and not acts.has("evidence") and rng.random() < prof.proof_p:
            return BuyerAct("ask_proof", reason="claim without proof")
        return BuyerAct("interested", reason="value that matters to the buyer")
    if acts.has("value_statement", "monologue"):
        if rng.random() < prof.proof_p:
            return BuyerAct("ask_proof", reason="claims without proof")
        return BuyerAct("stall", reason="pitch not tied to the buyer's needs")
    if focus:
        return BuyerAct("raise_objection", objection=focus, repeat=True, reason="objection still open")
    return _idle(persona, st, rng)


def _answer_close(persona: Persona, st: BuyerState, acts: RepActs, prof) -> BuyerAct:
    """Accept the proposed step, refuse it (with the agenda's reason when one is due) or,
    for a price, counter (the negotiation above has already run)."""
    focus = st.focus_objection
    if st.pending_objections:
        oid = st.pending_objections[0]
        raise_objection(st, oid)
        return BuyerAct("raise_objection", objection=oid, reason="asked to close; the agenda objection is the reason to refuse")
    if acts.has("pushy_close"):
        return BuyerAct("refuse_close", reason="pushed to close before ready")
    if focus:
        return BuyerAct("raise_objection", objection=focus, repeat=True, reason="open objection before any next step")
    if st.discovery_count == 0:
        return BuyerAct("refuse_close", reason="next step proposed without any discovery")
    if st.interest >= prof.accept_interest and st.trust >= prof.accept_trust and not _authority_blocks(persona, st):
        st.next_step_agreed = True
        end(st, "next_step", "next step accepted")
        return BuyerAct("accept_next_step", reason=f"interest {st.interest:g}, trust {st.trust:g}")
    if _authority_blocks(persona, st):
        return BuyerAct("refuse_close", fact=-1, reason="cannot agree alone: the others who decide have not been involved")
    return BuyerAct("refuse_close", reason=f"not convinced yet (interest {st.interest:g}, trust {st.trust:g})")


def _question_text(acts: RepActs) -> str:
    return " ".join(acts.matched[a] for a in QUESTION_ACTS if a in acts.matched)


def _answer_question(persona: Persona, st: BuyerState, acts: RepActs, rng: random.Random) -> BuyerAct:
    """A hidden need the question touched, the decision process, or the persona fact
    nearest in meaning to the question; a deflection when a need is touched but not
    opened up (a closed question)."""
    prof = PROFILES[persona.difficulty]
    if st.pending_reveal:
        need = st.pending_reveal.pop(0)
        if acts.has("discovery_open", "clarify") or rng.random() < prof.closed_reveal_p:
            st.revealed_needs.append(need)
            st._bump("interest", 4, f"need revealed: {need}")
            return BuyerAct("reveal_need", need=need, reason="discovery question touched a hidden need")
        return BuyerAct("deflect", need=need, reason="a closed question touched a hidden need; not opening up yet")
    if acts.has("authority_question"):
        return BuyerAct("answer", fact=-1, reason="asked about the decision process")
    shared = set(st.shared_facts)
    facts = list(persona.background)
    focus = persona.agenda_item(st.focus_objection) if st.focus_objection else None
    if focus is not None:
        facts.append(f"{focus.line} {focus.detail}")
    idx = nearest_fact(_question_text(acts), facts, shared)
    if focus is not None and idx == len(facts) - 1:
        return BuyerAct("answer", objection=focus.objection, reason="rep asked what is behind the objection")
    repeat = idx in shared
    if repeat:
        st._bump("patience", -3, "question about ground already covered")
    else:
        st.shared_facts.append(idx)
        st.facts_shared = len(st.shared_facts)
    return BuyerAct("answer", fact=idx, repeat=repeat, reason="the fact nearest to the question")


def _idle(persona: Persona, st: BuyerState, rng: random.Random) -> BuyerAct:
    unshared = [i for i in range(len(persona.background)) if i not in st.shared_facts]
    if unshared and rng.random() < 0.5:
        st.shared_facts.append(unshared[0])
        st.facts_shared = len(st.shared_facts)
        return BuyerAct("answer", fact=unshared[0], reason="idle turn")
    return BuyerAct("stall", reason="idle turn")


def _resolve_price(st: BuyerState) -> None:
    if "price" in st.open_objections:
        st.open_objections.remove("price")
        st.resolved_objections.append("price")
        st.just_resolved.append("price")


def _negotiate(persona: Persona, st: BuyerState, acts: RepActs, rng: random.Random) -> BuyerAct | None:
    price = acts.prices[-1]
    move = respond_to_price(
        persona.budget,
        price,
        rounds_done=len(st.buyer_offers),
        interest=st.interest,
        rep_prices=st.rep_prices,
        buyer_offers=st.buyer_offers,
        stuck_rounds=st.stuck_rounds,
    )
    st.rep_prices.append(price)
    st.events.append(f"price {price:g}: {move.reason}")
    others_open = [o for o in st.open_objections if o != "price"]
    if move.decision == "walk":
        return _end(st, "walked_away", move.reason)
    if move.decision == "accept":
        if others_open:
            return BuyerAct("raise_objection", objection=others_open[-1], repeat=True, reason="price aside, an objection is open")
        st.deal_price = price
        _resolve_price(st)
        end(st, "deal", move.reason)
        return BuyerAct("accept_offer", offer=price, reason=move.reason)
    st.buyer_offers.append(move.price or price)
    if "price" in st.pending_objections or (
        persona.agenda_item("price") and "price" not in st.raised_objections
    ):
        raise_objection(st, "price")
        return BuyerAct("raise_objection", objection="price", offer=move.price, reason=move.reason)
    return BuyerAct("counter_offer", offer=move.price, reason=move.reason)
