"""Lost-deal retrospective (``salescoach retro``).

For one lost case (knowledge base) or call (stored analysis): the likely causes, each
with evidence (a quote from the case with its section, or utterance ids/timestamps):

* ``unresolved_objection:<id>``: a case objection whose result did not work; a call
  objection answered without a question or followed by the customer cooling;
* ``no_next_step``: a case whose outcome/decision text says the follow-up stalled; a call
  without a next-step moment in its second half;
* ``monologue``: a rep monologue longer than the benchmark (calls);
* ``negative_shift_unaddressed``: the customer cooled and did not recover (calls).

Across all lost deals (KB lost cases + stored calls with outcome ``lost``): the top
reasons by industry, with the deals behind each count.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from coach.calls.store import CallStore
from coach.db.models import Account, Analysis, Call
from coach.errors import DOMAIN_ERRORS, InputError, NotFoundError
from coach.reports.callfacts import PUBLISHED, clock, compute_facts, ev, short
from coach.reports.postcall import _call_industry, _store
from retrieval.errors import NotFoundError as KBNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services
    from retrieval.cases import Case
    from scripts_gen.playbook import Playbook
    from speech.types import CallAnalysis

log = logging.getLogger(__name__)

#: phrases in a lost case's outcome / decision process that mean the follow-up stalled
STALL_RE = re.compile(
    r"no (?:agreed |concrete )?next step|without (?:a |any )?(?:next step|follow-up|follow up)|no follow-up|"
    r"never followed up|went silent|stalled|no one followed up|没有(?:约定)?下一步|没有(?:任何)?跟进|没有回音|搁置",
    re.I,
)


def retro_case(case: "Case") -> dict[str, Any]:
    from scripts_gen.casefacts import parse_case_facts, split_sentences

    facts = parse_case_facts(case.body)
    causes: list[dict[str, Any]] = []
    for h in facts.objections:
        if h.worked is False:
            causes.append({
                "reason": f"unresolved_objection:{h.objection}",
                "text": f"The {h.objection} objection was not resolved: {short(h.response, 160)}",
                "evidence": [{"case_id": case.id, "section": f"Objections / {h.objection}",
                              "quote": short(f"Customer said: {h.said} Result: {h.result}", 300)}],
            })
    for section, text in (("Outcome", facts.outcome), ("Decision process", facts.decision_process)):
        for sentence in split_sentences(" ".join(text.split())):
            if STALL_RE.search(sentence) and not any(c["reason"] == "no_next_step" for c in causes):
                causes.append({"reason": "no_next_step", "text": "The follow-up stalled without an agreed next step.",
                               "evidence": [{"case_id": case.id, "section": section, "quote": short(sentence, 300)}]})
    for h in facts.objections:  # a follow-up that never came, told inside an objection
        if h.worked is False and STALL_RE.search(f"{h.response} {h.result}") and not any(
                c["reason"] == "no_next_step" for c in causes):
            causes.append({"reason": "no_next_step", "text": "The follow-up stalled without an agreed next step.",
                           "evidence": [{"case_id": case.id, "section": f"Objections / {h.objection}",
                                         "quote": short(h.result or h.response, 300)}]})
    return {"kind": "case", "id": case.id, "title": case.title, "industry": case.industry, "outcome": case.outcome,
            "causes": causes}


def retro_call(analysis: "CallAnalysis", playbook: "Playbook", *, call_id: str | None = None,
               industry: str | None = None) -> dict[str, Any]:
    f = compute_facts(analysis, playbook)
    causes: list[dict[str, Any]] = []
    for o in f.objections:
        if not o.handled:
            causes.append({
                "reason": f"unresolved_objection:{o.objection}",
                "text": f"The {o.objection} objection at {clock(o.utterance.start)} was not resolved "
                        + ("(answered without a question)" if not o.asked_question else "(the customer cooled after the answer)"),
                "evidence": [ev(o.utterance)] + ([ev(o.reply)] if o.reply else []),
            })
    if f.rep and f.customer and not f.has_next_step:
        causes.append({"reason": "no_next_step", "text": "The call ended without a concrete next step.",
                       "evidence": [ev(u) for u in analysis.utterances[-2:]]})
    limit = PUBLISHED["longest_monologue_s"]["high"]
    if f.monologue and f.monologue_s > limit:
        causes.append({"reason": "monologue",
                       "text": f"Rep monologue of {f.monologue_s:.0f} s from {clock(f.monologue[0].start)} (limit {limit:.0f} s).",
                       "evidence": [ev(u) for u in f.monologue[:5]]})
    for s in f.negative_shifts:
        if s.recovered_by is None:
            causes.append({"reason": "negative_shift_unaddressed",
                           "text": f"The customer cooled at {clock(s.utterance.start)} and was not won back.",
                           "evidence": ([ev(s.cause)] if s.cause else []) + [ev(s.utterance)]})
    warnings = [] if f.customer else ["no customer speech found: causes on the customer's side cannot be judged"]
    return {"kind": "call", "id": call_id, "title": analysis.source or call_id or "", "industry": industry,
            "outcome": "lost", "causes": causes, "warnings": warnings}


def _lost_calls(services: "Services") -> list[tuple[str, str | None, dict[str, Any]]]:
    from sqlalchemy import select


    with services.db.session() as s:
        rows = s.execute(select(Call.id, Account.industry, Analysis.document)
                         .join(Analysis, Analysis.call_id == Call.id)
                         .outerjoin(Account, Account.id == Call.account_id)
                         .where(Call.outcome == "lost")).all()
    return [(cid, ind or None, doc) for cid, ind, doc in rows]


def retro_one(services: "Services", target: str) -> dict[str, Any]:
    """Retrospective of one lost case id or stored call id."""
    from scripts_gen.playbook import load_playbook

    target = (target or "").strip()
    if not target:
        raise InputError("give a lost case id or a call id")
    try:
        case = services.kb.get_case(target)
    except KBNotFoundError:
        case = None
    if case is not None:
        if case.outcome != "lost":
            raise InputError(f"case {target!r} is a {case.outcome} deal; the retrospective is for lost deals")
        return retro_case(case)

    try:
        analysis = CallStore(services.db, services.settings).get_analysis(target)
    except NotFoundError:
        raise NotFoundError(f"{target!r} is neither a case in the knowledge base nor a stored call",
                            detail="see 'salescoach kb search' or 'salescoach calls list'") from None

    doc = retro_call(analysis, load_playbook(services.settings.knowledge_dir), call_id=target,
                     industry=_call_industry(services, target))
    _store(services, target, doc, "none (computed)", kind="retro")
    return doc


def retro_all(services: "Services", *, top: int = 3) -> dict[str, Any]:
    """Top reasons by industry across all lost deals (KB lost cases + lost calls)."""
    from scripts_gen.playbook import load_playbook
    from speech.types import CallAnalysis

    deals: list[dict[str, Any]] = []
    warnings: list[str] = []
    try:
        cases = services.kb.list_cases(outcome="lost")
    except DOMAIN_ERRORS as exc:
        cases = []
        warnings.append(f"knowledge base unavailable: {exc.message}")
    deals += [retro_case(c) for c in cases]
    playbook = load_playbook(services.settings.knowledge_dir)
    for cid, industry, doc in _lost_calls(services):
        try:
            deals.append(retro_call(CallAnalysis.model_validate(doc), playbook, call_id=cid, industry=industry))
        except Exception as exc:  # noqa: BLE001 - one bad stored document must not hide the rest
            warnings.append(f"call {cid} skipped: {type(exc).__name__}")
    by_industry: dict[str, Counter] = defaultdict(Counter)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in deals:
        ind = d.get("industry") or "unknown"
        for reason in dict.fromkeys(c["reason"] for c in d["causes"]):
            by_industry[ind][reason] += 1
            examples[(ind, reason)].append(f"{d['kind']}:{d['id']}")
    industries = {
        ind: {"deals": sum(1 for d in deals if (d.get("industry") or "unknown") == ind),
              "top_reasons": [{"reason": r, "deals": n, "examples": examples[(ind, r)][:5]}
                              for r, n in counter.most_common(top)]}
        for ind, counter in sorted(by_industry.items())
    }
    overall = Counter(r for c in by_industry.values() for r in c.elements())
    if not deals:
        warnings.append("no lost deals found: ingest lost cases or mark calls as lost")
    return {"lost_deals": len(deals), "cases": len(cases), "calls": len(deals) - len(cases),
            "by_industry": industries,
            "top_reasons": [{"reason": r, "deals": n} for r, n in overall.most_common(top * 2)],
            "deals": deals, "warnings": warnings}
