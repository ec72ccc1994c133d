"""The deterministic, grounded plan of a pre-visit script.

Everything factual comes from data: the account (CRM), the won cases retrieved for this
visit (full text read back from the knowledge base) and the objection playbook. The LLM
later only re-phrases each section; this plan is also the fallback content.

Sections: opening, discovery questions (industry + open objections + pains of similar
won customers), value story (proof-point sentences with numbers, each citing its case),
likely objections (what worked in a won case + the playbook answer), next step.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retrieval.errors import RetrievalError
from scripts_gen.casefacts import CaseFacts, first_sentence, is_clean, parse_case_facts
from scripts_gen.errors import InputError
from scripts_gen.playbook import Playbook, load_playbook

if TYPE_CHECKING:  # pragma: no cover
    from scripts_gen.ports import AccountFacts, ScriptServices

log = logging.getLogger(__name__)

NO_WON_CASES = ("No similar won cases were found in the knowledge base, so this script has no proof points. "
                "Add won deals to the knowledge base to get cited proof points.")
MAX_CASES = 3
MAX_OBJECTIONS = 4

#: discovery questions by industry (keys are the knowledge base's industry values)
INDUSTRY_QUESTIONS: dict[str, tuple[str, ...]] = {
    "medical-devices": (
        "Which clinical workflow or exam causes the longest waits for your team today?",
        "Who defines the clinical requirements, and who writes the specification for procurement?",
        "How will a purchase like this be approved: budget committee, tender, or both?",
    ),
    "beauty-retail": (
        "How have store conversion and repeat purchases moved over the last year?",
        "What do your store staff need to recommend products with confidence?",
        "Which customer data do you collect today, and what are you allowed to do with it?",
    ),
    "nev-fleet": (
        "What does a vehicle cost you per kilometre today, including fuel, maintenance and downtime?",
        "Where and when do your vehicles charge, and how much depot grid capacity do you have?",
        "Which regulations or access restrictions affect your fleet in the next two years?",
    ),
    "food-distribution": (
        "How often do deliveries arrive late or out of temperature, and what does that cost you?",
        "How do you trace a food-safety problem back to transport or storage today?",
        "What would make you comfortable moving some of your routes to a new carrier?",
    ),
    "b2b-software": (
        "Which decisions are made on spreadsheets today, and what goes wrong when they are late?",
        "Which systems must this integrate with, and who owns them?",
        "What would a successful first quarter look like for you?",
    ),
    "industrial-equipment": (
        "What does an hour of unplanned downtime on this line cost you?",
        "How do you measure energy use today, and who owns that budget?",
        "What happened the last time you replaced equipment like this?",
    ),
}
#: questions that only fit some product lines of their industry: asked only when the
#: deal's product (or, without one, the notes) names one of these words
PRODUCT_ONLY_QUESTIONS: dict[str, tuple[str, ...]] = {
    "Where and when do your vehicles charge, and how much depot grid capacity do you have?":
        ("electric", "van", "charg", "ev ", "battery"),
}
GENERIC_QUESTIONS = (
    "What made this a priority now, and what happens if nothing changes?",
    "Who else is involved in the decision, and what matters most to each of them?",
    "How will you judge whether this was a success a year from now?",
)
NEXT_STEP_BY_STAGE = {
    "discovery": "Ask for a trial or pilot with success criteria the customer defines, and a date to start it.",
    "qualification": "Ask for a meeting with the budget owner and a trial or pilot with agreed success criteria.",
    "proposal": "Ask for a review of the proposal with every decision maker, and the procurement timeline with dates.",
    "negotiation": "Ask for agreement on the open terms and a signature date.",
}
DEFAULT_NEXT_STEP = "Ask for one concrete next step with a date and an owner (a trial, a meeting with the decision makers, or a proposal review)."


@dataclass
class PlanItem:
    text: str
    citations: list[str] = field(default_factory=list)

    def line(self) -> str:
        return "- " + self.text + "".join(f" [{c}]" for c in self.citations)


@dataclass
class PlanSection:
    key: str
    title: str
    items: list[PlanItem] = field(default_factory=list)
    #: numbers in an uncited sentence of this section are rejected (proof points must cite)
    numbers_need_case: bool = False

    @property
    def citations(self) -> list[str]:
        return list(dict.fromkeys(c for i in self.items for c in i.citations))

    def text(self) -> str:
        return "\n".join(i.line() for i in self.items)


@dataclass
class RetrievedCase:
    id: str
    title: str
    industry: str
    product: str
    customer: str
    body: str
    objections: list[str]
    facts: CaseFacts
    #: why it is here: "search" (similar deal) or "objection:<id>" or "playbook:<id>"
    via: str
    score: float | None = None

    @property
    def who(self) -> str:
        name = re.sub(r"^\((?:fictional|虚构)\)\s*", "", self.customer or "").strip()
        return name or self.title

    def citation(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "industry": self.industry, "product": self.product,
                "customer": self.customer, "via": self.via}


@dataclass
class ScriptPlan:
    account: "AccountFacts | None"
    notes: str | None
    goal: str | None
    industry: str | None
    product: str | None
    objections: list[str]
    cases: dict[str, RetrievedCase]
    sections: list[PlanSection]
    warnings: list[str] = field(default_factory=list)

    def section(self, key: str) -> PlanSection:
        return next(s for s in self.sections if s.key == key)


# ------------------------------------------------------------------------ retrieval --
def _kb_search(kb: Any, query: str, warnings: list[str], **kw: Any) -> list[Any]:
    try:
        return list(kb.search(query, **kw))
    except RetrievalError as exc:
        warnings.append(f"knowledge base search failed: {exc.message}")
        log.warning("kb search failed: %s", exc)
        return []


def _fetch(kb: Any, case_id: str, via: str, score: float | None = None) -> RetrievedCase | None:
    try:
        case = kb.get_case(case_id)
    except RetrievalError:
        return None
    if getattr(case, "outcome", "won") != "won":
        return None
    return RetrievedCase(
        id=case.id, title=case.title, industry=case.industry, product=case.product, customer=case.customer,
        body=case.body, objections=[o.strip().lower() for o in case.objections], facts=parse_case_facts(case.body),
        via=via, score=score,
    )


def retrieve_cases(kb: Any, query: str, industry: str | None, objections: list[str], playbook: Playbook,
                   warnings: list[str]) -> dict[str, RetrievedCase]:
    """Similar won cases (industry first, then any), plus for each objection a won case
    that handled it well (retrieved by search, else the playbook's example cases)."""
    found: dict[str, RetrievedCase] = {}
    hits = _kb_search(kb, query, warnings, k=MAX_CASES, outcome="won", industry=industry) if industry else []
    if len(hits) < 2:
        hits += _kb_search(kb, query, warnings, k=MAX_CASES, outcome="won")
    for h in hits:
        if h.id not in found and len(found) < MAX_CASES:
            rc = _fetch(kb, h.id, "search", getattr(h, "score", None))
            if rc is not None:
                found[h.id] = rc
    for obj in objections[:MAX_OBJECTIONS]:
        if any(_worked(c.facts, obj) for c in found.values()):
            continue
        entry = playbook.get(obj)
        q = f"{obj} {entry.summary if entry else ''} {query}"[:400]
        cands = [(h.id, f"objection:{obj}", getattr(h, "score", None))
                 for h in _kb_search(kb, q, warnings, k=5, outcome="won", industry=industry)]
        cands += [(h.id, f"objection:{obj}", getattr(h, "score", None)) for h in _kb_search(kb, q, warnings, k=5, outcome="won")]
        cands += [(cid, f"playbook:{obj}", None) for cid in (entry.example_cases if entry else ())]
        for cid, via, score in cands:
            if cid in found:
                if _worked(found[cid].facts, obj):
                    break
                continue
            rc = _fetch(kb, cid, via, score)
            if rc is not None and _worked(rc.facts, obj):
                found[cid] = rc
                break
    return found


def _worked(facts: CaseFacts, objection: str) -> bool:
    h = facts.handled(objection)
    return bool(h and h.worked and h.response and is_clean(h.response))


# ------------------------------------------------------------------------ sections --
def _clean(text: str) -> str | None:
    text = " ".join((text or "").split())
    return text if text and is_clean(text) else None


def _opening(plan: ScriptPlan) -> PlanSection:
    sec = PlanSection("opening", "Opening")
    acc = plan.account
    if acc is not None:
        contact = acc.contacts[0] if acc.contacts else None
        who = f"{contact.name}" + (f" ({contact.title})" if contact and contact.title else "") if contact else "the customer"
        sec.items.append(PlanItem(f"Greet {who} at {acc.name} and thank them for their time."))
        if acc.interactions:
            last = acc.interactions[0]
            summary = _clean(last.summary)
            if summary:
                sec.items.append(PlanItem(f"Refer to the last contact ({last.kind} on {last.date}): {summary}"))
        if acc.days_since_last_contact is not None:
            sec.items.append(PlanItem(f"Last contact was {acc.days_since_last_contact} days ago; "
                                      f"{acc.interactions_last_90d} interactions in the last 90 days."))
    if plan.notes and _clean(plan.notes):
        sec.items.append(PlanItem(f"Start from what you know: {_clean(plan.notes)}"))
    goal = _clean(plan.goal or "")
    if goal:
        sec.items.append(PlanItem(f"State the purpose of the visit: {goal}"))
    elif acc is not None and (opp := _open_opportunity(acc)) is not None:
        sec.items.append(PlanItem(f"State the purpose of the visit: move '{opp.name}' ({opp.product or 'the opportunity'}) "
                                  f"forward from the {opp.stage or 'current'} stage."))
    if not sec.items:
        sec.items.append(PlanItem("Thank the customer for their time and confirm how long they have."))
    return sec


def _open_opportunity(acc: "AccountFacts") -> Any:
    return next((o for o in acc.opportunities if o.status == "open"), None)


def _discovery(plan: ScriptPlan, playbook: Playbook) -> PlanSection:
    sec = PlanSection("discovery", "Discovery questions")
    line = (plan.product or plan.notes or "").lower()
    for q in INDUSTRY_QUESTIONS.get(plan.industry or "", GENERIC_QUESTIONS):
        words = PRODUCT_ONLY_QUESTIONS.get(q)
        if words and line and not any(w in line for w in words):
            continue  # e.g. no charging questions for a telematics deal
        sec.items.append(PlanItem(q))
    for obj in plan.objections[:MAX_OBJECTIONS]:
        entry = playbook.get(obj)
        if entry and entry.questions():
            sec.items.append(PlanItem(f"On {entry.label}: {entry.questions()[0]}."))
    for case in same_line(plan)[:2]:
        pain = next((p for p in case.facts.pains if is_clean(p)), None)
        if pain:
            sec.items.append(PlanItem(f"Similar customer {case.who} reported: \"{pain}\" Ask whether that is true here.", [case.id]))
    return sec


def _product_key(product: str | None) -> str:
    """The product line's name: its first word ("FleetPulse telematics" -> "fleetpulse")."""
    return (product or "").strip().split(" ")[0].lower()


def same_line(plan: ScriptPlan) -> list[RetrievedCase]:
    """The retrieved cases whose proof points fit this deal: the same product line when
    the deal names a product and a case sells it, else the same industry, else all (so a
    telematics deal never quotes an electric van's range)."""
    cases = list(plan.cases.values())
    key = _product_key(plan.product)
    if key:
        same = [c for c in cases if _product_key(c.product) == key]
        if same:
            return same
    if plan.industry:
        same = [c for c in cases if (c.industry or "").lower() == plan.industry.lower()]
        if plan.product:  # other product lines of the same industry are not proof for this one
            return [c for c in same if not c.product] or []
        if same:
            return same
    return cases


def _value_story(plan: ScriptPlan) -> PlanSection:
    sec = PlanSection("value_story", "Value story and proof points", numbers_need_case=True)
    if not plan.cases:
        sec.items.append(PlanItem(NO_WON_CASES))
        return sec
    fitting = same_line(plan)
    if not fitting:
        sec.items.append(PlanItem(f"No won deal of {plan.product} was found; proof points from other product lines "
                                  "are left out. Describe the outcome you expect in the customer's own terms."))
        return sec
    for case in fitting[:MAX_CASES]:
        points = [p for p in case.facts.proof_points if re.search(r"\d", p) and is_clean(p)][:2]
        if not points:
            continue
        sec.items.append(PlanItem(f"{case.who}: {case.title}.", [case.id]))
        for p in points:
            sec.items.append(PlanItem(p.rstrip(".") + ".", [case.id]))
    if not sec.items:
        sec.items.append(PlanItem("The similar won cases found have no measurable proof points; "
                                  "describe the outcome you expect in the customer's own terms."))
    return sec


def _objections(plan: ScriptPlan, playbook: Playbook) -> PlanSection:
    sec = PlanSection("objections", "Likely objections and answers that worked", numbers_need_case=True)
    for obj in plan.objections[:MAX_OBJECTIONS]:
        entry = playbook.get(obj)
        case = next((c for c in plan.cases.values() if _worked(c.facts, obj)), None)
        name = entry.label if entry else obj.replace("-", " ").replace("_", " ")
        head = f"{name[:1].upper() + name[1:]}: {entry.summary}" if entry else name[:1].upper() + name[1:]
        sec.items.append(PlanItem(head))
        if case is not None:
            h = case.facts.handled(obj)
            assert h is not None
            result = _clean(h.result) or ""
            sec.items.append(PlanItem(f"What worked at {case.who}: {h.response} {result}".strip(), [case.id]))
        if entry and entry.answer:
            sec.items.append(PlanItem(f"Say: \"{entry.answer}\""))
        if entry and entry.pitfalls:
            sec.items.append(PlanItem(f"Avoid: {entry.pitfalls[0]}."))
    if not sec.items:
        sec.items.append(PlanItem("No objections are on record for this account; listen for price, timing and "
                                  "competitor concerns and ask what is behind them."))
    return sec


def _next_step(plan: ScriptPlan) -> PlanSection:
    sec = PlanSection("next_step", "Next step to ask for")
    goal = _clean(plan.goal or "")
    opp = _open_opportunity(plan.account) if plan.account is not None else None
    stage = (opp.stage if opp else "").lower()
    if goal:
        sec.items.append(PlanItem(f"Ask for the step that serves your goal: {goal}"))
    sec.items.append(PlanItem(NEXT_STEP_BY_STAGE.get(stage, DEFAULT_NEXT_STEP)))
    for case in plan.cases.values():
        how = first_sentence(case.facts.decision_process)
        if how and is_clean(how):
            sec.items.append(PlanItem(f"How a similar deal moved to signature at {case.who}: {how}", [case.id]))
            break
    sec.items.append(PlanItem("Before you leave, confirm who does what by when, and put the date in the calendar."))
    return sec


# ------------------------------------------------------------------------ building --
def build_plan(services: "ScriptServices", *, account: str | None = None, notes: str | None = None,
               goal: str | None = None, user_id: int | None = None) -> ScriptPlan:
    """The grounded plan. Raises NotFoundError (with close matches) for an unknown account.
    ``user_id``: the rep the script is for (only calls they may see are used)."""
    account = (account or "").strip() or None
    notes = (notes or "").strip() or None
    goal = (goal or "").strip() or None
    if not account and not notes:
        raise InputError("give an account (--account) or notes (--notes) for the script")
    warnings: list[str] = []
    ctx = None
    if account:
        ctx = services.accounts.get_account_context(account, viewer_id=user_id)
    playbook = load_playbook(services.settings.knowledge_dir)
    industry = ctx.industry if ctx and ctx.industry else None
    opp = _open_opportunity(ctx) if ctx else None
    product = opp.product if opp else None
    objections: list[str] = list(ctx.open_objections) if ctx else []
    signals = " ".join(filter(None, [notes, goal] + ([m.get("text", "") for c in ctx.past_calls for m in c.moments
                                                       if m.get("type") == "objection"] if ctx else [])))
    objections += [o for o in playbook.detect(signals) if o not in objections]
    objections = [o.strip().lower() for o in objections if o and o.strip()]
    query = " ".join(filter(None, [product, industry, notes, goal, ctx.notes if ctx else None,
                                   " ".join(o.replace("-", " ") for o in objections)]))[:1000]
    cases = retrieve_cases(services.kb, query, industry, objections, playbook, warnings)
    if not industry and cases:
        industry = Counter(c.industry for c in cases.values()).most_common(1)[0][0]
    if not objections and cases:  # likely objections = those similar won deals met
        common = Counter(o for c in cases.values() for o in c.objections if _worked(c.facts, o))
        objections = [o for o, _ in common.most_common(2)]
    if not cases:
        warnings.append(NO_WON_CASES)
    plan = ScriptPlan(account=ctx, notes=notes, goal=goal, industry=industry, product=product,
                      objections=objections, cases=cases, sections=[], warnings=warnings)
    plan.sections = [_opening(plan), _discovery(plan, playbook), _value_story(plan),
                     _objections(plan, playbook), _next_step(plan)]
    return plan
