"""The buyer's hidden state and the rules that update it from a classified rep turn.

Numbers live on a 0-100 scale. A difficulty profile sets the starting values, how fast
patience runs out and how many objection-handling steps the buyer needs before it
lets an objection go. Every change is logged as an event string so a coach (and the
tests) can see why the buyer moved.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from coach.roleplay.acts import RepActs
from coach.roleplay.personas import Persona


@dataclass(frozen=True)
class Profile:
    interest: float
    trust: float
    patience: float
    #: patience lost every rep turn; doubled after ``fatigue_after`` turns
    decay: float
    fatigue_after: int
    #: multiplier on penalties (pushy close, monologue, gibberish)
    penalty: float
    accept_interest: float
    accept_trust: float
    #: objection-handling steps (acknowledge, clarify, respond, confirm) needed, incl. respond
    steps_required: int
    #: chance a closed question that touches a need still reveals it
    closed_reveal_p: float
    #: chance the buyer asks for proof of an unsupported claim
    proof_p: float


PROFILES: dict[str, Profile] = {
    "easy": Profile(55, 50, 100, 1.0, 25, 0.7, 52, 42, 1, 0.6, 0.1),
    "medium": Profile(42, 40, 90, 2.0, 18, 1.0, 58, 48, 2, 0.4, 0.3),
    "hard": Profile(30, 30, 80, 3.0, 14, 1.4, 62, 55, 3, 0.25, 0.5),
}

_TEAM_WORDS = re.compile(
    r"\b(team|committee|colleagues|stakeholders|board|everyone involved|decision makers?|cfo|cno|ceo|cto|cio|finance|director)\b|团队|委员会|同事|决策|领导|财务",
    re.IGNORECASE,
)


@dataclass
class BuyerState:
    interest: float
    trust: float
    patience: float
    turns: int = 0
    revealed_needs: list[str] = field(default_factory=list)
    #: revealed needs the rep has already tied value to
    linked_needs: list[str] = field(default_factory=list)
    raised_objections: list[str] = field(default_factory=list)
    open_objections: list[str] = field(default_factory=list)
    resolved_objections: list[str] = field(default_factory=list)
    #: triggered by the rep but not voiced yet
    pending_objections: list[str] = field(default_factory=list)
    #: objection id -> handling steps seen since it was raised
    handling: dict[str, list[str]] = field(default_factory=dict)
    pending_reveal: list[str] = field(default_factory=list)
    just_resolved: list[str] = field(default_factory=list)
    #: objection answered this turn with something that is not proof enough for it
    weak_response: str | None = None
    #: objection answered this turn with the right kind of proof but not settled yet
    answered_objection: str | None = None
    discovery_count: int = 0
    facts_shared: int = 0
    #: background fact indexes already told to the rep
    shared_facts: list[int] = field(default_factory=list)
    pushy_closes: int = 0
    repeated_questions: int = 0
    authority_addressed: bool = False
    rep_prices: list[float] = field(default_factory=list)
    buyer_offers: list[float] = field(default_factory=list)
    stuck_rounds: int = 0
    deal_price: float | None = None
    next_step_agreed: bool = False
    ended: bool = False
    outcome: str | None = None
    end_reason: str | None = None
    asked_questions: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    @classmethod
    def initial(cls, persona: Persona) -> "BuyerState":
        prof = PROFILES[persona.difficulty]
        st = cls(interest=prof.interest, trust=prof.trust, patience=prof.patience)
        st.authority_addressed = persona.authority.decision_maker
        st.pending_objections = [a.objection for a in persona.objection_agenda if a.trigger.when == "start"]
        return st

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "BuyerState":
        return cls(**d)

    @property
    def focus_objection(self) -> str | None:
        """The open objection the rep should be working on (the latest raised)."""
        return self.open_objections[-1] if self.open_objections else None

    def _bump(self, name: str, delta: float, why: str) -> None:
        if not delta:
            return
        old = getattr(self, name)
        new = max(0.0, min(100.0, old + delta))
        setattr(self, name, new)
        self.events.append(f"{name} {delta:+g} ({why})")


def _norm_question(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def _triggered(persona: Persona, st: BuyerState, acts: RepActs, text: str, discovered_before: int) -> list[str]:
    out: list[str] = []
    low = text.lower()
    for item in persona.objection_agenda:
        oid = item.objection
        if oid in st.raised_objections or oid in st.pending_objections or oid in out:
            continue
        t = item.trigger
        fired = (
            (t.when == "after_turns" and st.turns >= (t.turns or 0))
            # only once a price was actually put on the table (a question about cost is not one)
            or (t.when == "price_mentioned" and (bool(acts.prices) or acts.has("price_offer")))
            or (t.when == "pushy_close" and acts.has("pushy_close"))
            or (t.when == "competitor_mentioned" and acts.has("competitor_mention"))
            or (t.when == "pitch_without_discovery" and acts.has("value_statement") and discovered_before == 0)
            or (t.when == "next_step_proposed" and acts.has("next_step") and not st.authority_addressed)
            or (t.when == "keyword" and any(k.lower() in low for k in t.keywords))
        )
        if fired:
            out.append(oid)
    return out


def apply_rep_turn(st: BuyerState, persona: Persona, acts: RepActs, text: str) -> None:
    """Update ``st`` in place from one classified rep turn."""
    prof = PROFILES[persona.difficulty]
    pen = prof.penalty
    st.events = []
    st.just_resolved = []
    #: a need is revealed in answer to this turn's question or not at all
    st.pending_reveal = []
    st.weak_response = None
    st.answered_objection = None
    st.turns += 1
    discovered_before = st.discovery_count

    decay = prof.decay * (2 if st.turns > prof.fatigue_after else 1)
    st._bump("patience", -decay, "time passes")

    if acts.has("empty", "gibberish"):
        st._bump("patience", -12 * pen, "empty or unintelligible turn")
        st._bump("trust", -5 * pen, "empty or unintelligible turn")
        return

    # ---- discovery and listening ------------------------------------------------
    if acts.has("discovery_open", "discovery_closed", "clarify"):
        q = _norm_question(acts.matched.get("discovery_open") or acts.matched.get("discovery_closed") or acts.matched.get("clarify") or "")
        if q and q in st.asked_questions:
            st.repeated_questions += 1
            st._bump("patience", -5 * pen, "asked the same question again")
        else:
            st.asked_questions.append(q)
            st.discovery_count += 1
            if acts.has("discovery_open", "clarify"):
                st._bump("trust", 3, "open discovery question")
                st._bump("interest", 1, "open discovery question")
            else:
                st._bump("trust", 1, "closed question")
    for need_id in acts.needs_asked:
        if need_id not in st.revealed_needs and need_id not in st.pending_reveal:
            st.pending_reveal.append(need_id)
    if acts.has("authority_question"):
        st.authority_addressed = True
        st._bump("trust", 2, "asked about the decision process")
    if acts.has("listening"):
        st._bump("trust", 4, "reflected what the buyer said")

    # ---- value ----------------------------------------------------------------
    moved = set(persona.moved_by)
    if acts.has("need_linked_value"):
        fresh = [n for n in acts.needs_linked if n not in st.linked_needs]
        st.linked_needs.extend(fresh)
        gain = (8 + 4 * (len(fresh) - 1)) if fresh else 2
        st._bump("interest", gain, "value tied to a revealed need")
    elif acts.has("value_statement"):
        if discovered_before == 0 or not st.revealed_needs:
            st._bump("interest", -2 * pen, "generic pitch before discovery")
            st._bump("patience", -3 * pen, "generic pitch before discovery")
        else:
            st._bump("interest", 1, "generic value statement")
    if acts.has("evidence"):
        st._bump("trust", 4 * (1.5 if moved & {"evidence", "references"} else 1), "evidence cited")
        st._bump("interest", 2, "evidence cited")
    if acts.has("roi"):
        st._bump("interest", 4 * (1.5 if "roi" in moved else 1), "ROI quantified")

    # ---- closing behaviour ------------------------------------------------------
    if acts.has("pushy_close"):
        st.pushy_closes += 1
        ready = st.interest >= prof.accept_interest and not st.open_objections and discovered_before > 0
        if not ready:
            st._bump("patience", -15 * pen, "pushy close before the buyer is ready")
            st._bump("trust", -10 * pen, "pushy close before the buyer is ready")
            st._bump("interest", -5 * pen, "pushy close before the buyer is ready")
        else:
            st._bump("trust", -3 * pen, "pressure to close")
    if acts.has("monologue"):
        st._bump("patience", -8 * pen, f"monologue ({acts.words} words)")
        st._bump("interest", -3 * pen, "monologue")
    if (acts.has("next_step") and _TEAM_WORDS.search(text)) or any(
        o.lower() in text.lower() for o in persona.authority.others
    ):
        st.authority_addressed = True
    if acts.has("concession") and st.interest < prof.accept_interest and "concession" not in moved:
        st._bump("trust", -2, "discount offered before value was clear")

    # ---- prices (negotiation state; the decision is the policy's) ---------------
    if acts.prices:
        price = acts.prices[-1]
        if st.rep_prices and price >= st.rep_prices[-1] - 1e-9:
            st.stuck_rounds += 1
        else:
            st.stuck_rounds = 0

    # ---- objections -------------------------------------------------------------
    _handle_objections(st, persona, acts, prof)
    for oid in _triggered(persona, st, acts, text, discovered_before):
        st.pending_objections.append(oid)
        st.events.append(f"objection triggered: {oid}")


def _handle_objections(st: BuyerState, persona: Persona, acts: RepActs, prof: Profile) -> None:
    oid = st.focus_objection
    if oid is None:
        return
    item = persona.agenda_item(oid)
    steps = st.handling.setdefault(oid, [])
    for step in ("acknowledge", "clarify", "confirm"):
        if acts.has(step) and step not in steps:
            steps.append(step)
            st._bump("trust", 2, f"objection handling: {step}")
    qualifying = [a for a in (item.resolved_by if item else []) if acts.has(a)]
    if qualifying:
        if "respond" not in steps:
            steps.append("respond")
        st.events.append(f"objection {oid} answered with {', '.join(qualifying)}")
    elif acts.has("value_statement", "evidence", "roi", "concession", "need_linked_value"):
        st.weak_response = oid
        st.events.append(f"objection {oid} answered without the proof it needs")
    if qualifying and not ("respond" in steps and len(steps) >= prof.steps_required):
        st.answered_objection = oid
    if "respond" in steps and len(steps) >= prof.steps_required:
        st.open_objections.remove(oid)
        st.resolved_objections.append(oid)
        st.just_resolved.append(oid)
        st._bump("interest", 8, f"objection {oid} resolved")
        st._bump("trust", 4, f"objection {oid} resolved")


def raise_objection(st: BuyerState, oid: str) -> None:
    if oid in st.pending_objections:
        st.pending_objections.remove(oid)
    if oid not in st.raised_objections:
        st.raised_objections.append(oid)
    if oid not in st.open_objections and oid not in st.resolved_objections:
        st.open_objections.append(oid)
        st.handling[oid] = []


def end(st: BuyerState, outcome: str, reason: str) -> None:
    st.ended = True
    st.outcome = outcome
    st.end_reason = reason
