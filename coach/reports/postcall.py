"""Post-call improvement report (``salescoach report``; docs/contracts/report.schema.json).

    report = generate_report(services, "call-id" | Path("call.json") | Path("call.wav") | analysis)

From the analysis, code computes every finding with utterance evidence (ids and
timestamps that exist in the analysis): strengths, improvements (unanswered objections,
customer cooling left unaddressed, monologues, too few questions, talk ratio, no next
step), metrics against benchmarks (the team's won calls when there are >= 5, else the
published defaults; each with its source), suggestions from the playbook and from won
cases retrieved for the same moments, and the role-play persona to practise next. The
LLM only phrases the summary from the computed facts; the summary is validated (no
number that is not in the facts) and the computed summary is used when it fails.
The report is stored with the call (``Report`` row, kind ``report``).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.reports.callfacts import (CallFacts, benchmarks, clock, compute_facts, ev, metric_score, short,
                             transcript_excerpt, verdict)
from coach.calls.store import CallStore
from coach.db.models import Account, Call, Report
from coach.errors import DOMAIN_ERRORS, EmptyInputError, InputError, NotFoundError
from speech.types import CallAnalysis

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services
    from scripts_gen.playbook import Playbook

log = logging.getLogger(__name__)

ReportSource = CallAnalysis | dict | str | Path
SUMMARY_SYSTEM = (
    "You are a sales coach. Write a three-sentence summary of the call for the rep from the facts "
    "in the data block: what went well, the most important thing to improve, and what to practise. "
    "Use only these facts and copy numbers exactly; add no names or numbers. "
)


# ---------------------------------------------------------------------- inputs --
def load_analysis(services: "Services", source: ReportSource, *, store: bool = True,
                  user_id: int | None = None) -> tuple[CallAnalysis, str | None]:
    """(analysis, stored call id or None) from an analysis, its JSON file, a recording or
    transcript (analysed first, and stored when ``store``), or a stored call id."""
    if isinstance(source, CallAnalysis):
        return source, None
    if isinstance(source, dict):
        return _validate_doc(source, "the analysis"), None
    path = Path(str(source))
    if path.is_file():
        if path.suffix.lower() == ".json":
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"{path} is not valid JSON", detail=str(exc)[:200]) from None
            if isinstance(doc, dict) and "utterances" in doc and ("metrics" in doc or "schema_version" in doc):
                return _validate_doc(doc, str(path)), None
        if store:
            cs = CallStore(services.db, services.settings)
            call_id = cs.create_call(path, user_id=user_id, original_filename=path.name)
            return cs.analyze_call(call_id, services.analyzer), call_id
        return services.analyzer.analyze(path), None
    key = str(source).strip()
    if not key:
        raise InputError("give a call id, an analysis JSON, a recording or a transcript")
    try:
        return CallStore(services.db, services.settings).get_analysis(key), key
    except NotFoundError as exc:
        if "no analysis" in exc.message:
            raise
        raise NotFoundError(f"{key!r} is neither a file nor a stored call id",
                            detail="see 'salescoach calls list'") from None


def _validate_doc(doc: dict, where: str) -> CallAnalysis:
    from pydantic import ValidationError

    try:
        return CallAnalysis.model_validate(doc)
    except ValidationError as exc:
        raise InputError(f"{where} is not a valid call analysis", detail=str(exc).splitlines()[0][:200]) from None


# -------------------------------------------------------------------- findings --
def _example_case(services: "Services", query: str, objection: str | None, industry: str | None) -> dict[str, Any] | None:
    """A won case for the same moment: one that handled ``objection`` when possible."""
    from scripts_gen.casefacts import is_clean, parse_case_facts

    try:
        hits = list(services.kb.search(query[:400], k=4, outcome="won", industry=industry)) if industry else []
        hits += list(services.kb.search(query[:400], k=4, outcome="won"))
    except DOMAIN_ERRORS as exc:
        log.info("no example case (kb: %s)", exc.message)
        return None
    first = None
    for h in hits:
        try:
            case = services.kb.get_case(h.id)
        except DOMAIN_ERRORS:
            continue
        first = first or case
        handled = parse_case_facts(case.body).handled(objection) if objection else None
        if handled and handled.worked and handled.response and is_clean(handled.response):
            return {"id": case.id, "title": case.title, "what_worked": short(handled.response, 300)}
    return {"id": first.id, "title": first.title} if first is not None else None


def _improvements(services: "Services", f: CallFacts, bench: dict[str, dict[str, Any]], playbook: "Playbook",
                  industry: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for o in f.objections:
        if o.handled:
            continue
        entry = playbook.get(o.objection)
        why = "you answered without first asking what was behind it" if not o.asked_question else "the customer cooled after your answer"
        steps = "; ".join(entry.steps[:3]) if entry else "acknowledge, ask what is behind it, answer with evidence"
        out.append({
            "text": f"Objection ({o.objection}) at {clock(o.utterance.start)}: {why}.",
            "evidence": [ev(o.utterance)] + ([ev(o.reply)] if o.reply else []),
            "suggestion": f"Playbook ({o.objection}): {steps}." + (f" Pitfall to avoid: {entry.pitfalls[0]}." if entry and entry.pitfalls else ""),
            "example_case": _example_case(services, f"{o.objection} {o.utterance.text}", o.objection if entry else None, industry),
            "area": f"objection:{o.objection}",
        })
    for s in f.negative_shifts:
        if s.recovered_by is not None:
            continue
        detected = playbook.detect(f"{s.utterance.text} {s.cause.text if s.cause else ''}")
        obj = detected[0] if detected else None
        entry = playbook.get(obj) if obj else None
        cause = f" after you said \"{short(s.cause.text, 80)}\"" if s.cause is not None and s.cause.role == "rep" else ""
        out.append({
            "text": f"The customer cooled at {clock(s.utterance.start)}{cause}, and it was not recovered.",
            "evidence": ([ev(s.cause)] if s.cause else []) + [ev(s.utterance)],
            "suggestion": (f"Playbook ({obj}): {'; '.join(entry.steps[:3])}." if entry else
                           "Acknowledge the reaction, ask what concerns them, and only then continue."),
            "example_case": _example_case(services, f"{s.utterance.text} {s.cause.text if s.cause else ''}", obj, industry),
            "area": f"objection:{obj}" if obj else "rapport",
        })
    mono = bench["longest_monologue_s"]
    if f.monologue and f.monologue_s > mono["high"]:
        out.append({
            "text": f"Longest monologue {f.monologue_s:.0f} s from {clock(f.monologue[0].start)} "
                    f"(benchmark: under {mono['high']:.0f} s; {mono['source']}).",
            "evidence": [ev(u) for u in f.monologue[:5]],
            "suggestion": "Stop after one point and check in with a question ('How does that compare with what you see?').",
            "example_case": None, "area": "discovery",
        })
    q = bench["questions_rep"]
    n_q = f.analysis.metrics.questions_rep
    if n_q < q["low"] and f.customer:
        out.append({
            "text": f"You asked {n_q} questions (benchmark {q['low']:.0f}-{q['high']:.0f}; {q['source']}).",
            "evidence": [ev(u) for u in (f.questions or f.rep)[:5]],
            "suggestion": "Prepare open discovery questions about the customer's situation, impact and decision process.",
            "example_case": None, "area": "discovery",
        })
    tr = f.analysis.metrics.talk_ratio
    t = bench["talk_ratio"]
    if tr is not None and tr > t["high"] and f.customer:
        longest = sorted(f.rep, key=lambda u: u.end - u.start, reverse=True)[:3]
        out.append({
            "text": f"You talked {tr:.0%} of the time (benchmark {t['target']:.0%}; {t['source']}).",
            "evidence": [ev(u) for u in longest],
            "suggestion": "Shorten your answers and let the customer tell their story; follow each answer with a question.",
            "example_case": None, "area": "discovery",
        })
    if f.rep and f.customer and not f.has_next_step:
        out.append({
            "text": "The call ended without a concrete next step.",
            "evidence": [ev(u) for u in f.rep[-2:]],
            "suggestion": "Before closing, propose one step with a date and an owner (trial, meeting with the decision makers, proposal review).",
            "example_case": _example_case(services, "agreed next step trial date decision", None, industry),
            "area": "next_step",
        })
    if not f.customer:
        out.insert(0, {
            "text": "No customer speech was found in this call, so objections, questions and emotional shifts cannot be judged.",
            "evidence": [ev(u) for u in f.rep[:3]],
            "suggestion": "Check who the rep is (on the call page: 'Which speaker is the rep?') or the recording.",
            "example_case": None, "area": "data",
        })
    return out


def _strengths(f: CallFacts, bench: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for o in f.objections:
        if o.handled and o.reply is not None:
            out.append({"text": f"Met the {o.objection} objection at {clock(o.utterance.start)} with a question "
                                f"(\"{short(o.reply.text, 80)}\").", "evidence": [ev(o.utterance), ev(o.reply)]})
    for s in f.negative_shifts:
        if s.recovered_by is not None:
            out.append({"text": f"Recovered after the customer cooled at {clock(s.utterance.start)}: they warmed up again "
                                f"at {clock(s.recovered_by.start)}.", "evidence": [ev(s.utterance), ev(s.recovered_by)]})
    q = bench["questions_rep"]
    if f.customer and f.analysis.metrics.questions_rep >= q["low"]:
        out.append({"text": f"Asked {f.analysis.metrics.questions_rep} questions (benchmark {q['low']:.0f}-{q['high']:.0f}).",
                    "evidence": [ev(u) for u in f.questions[:5]]})
    tr = f.analysis.metrics.talk_ratio
    t = bench["talk_ratio"]
    if tr is not None and f.customer and tr <= t["high"] and f.longest_story is not None:
        out.append({"text": f"Let the customer talk: rep talk ratio {tr:.0%} (benchmark {t['target']:.0%}).",
                    "evidence": [ev(f.longest_story)]})
    if f.has_next_step:
        out.append({"text": f"Closed with a concrete next step at {clock(f.next_steps[-1].start)}.",
                    "evidence": [ev(u) for u in f.next_steps[-2:]]})
    return out


def _scores(f: CallFacts, bench: dict[str, dict[str, Any]]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    m = f.analysis.metrics
    # the stored figures (the metrics tab, the team view and the API show the same)
    values = {"talk_ratio": m.talk_ratio, "questions_rep": float(m.questions_rep),
              "longest_monologue_s": f.monologue_s, "patience_s": m.patience_s}
    if not f.customer:
        values["talk_ratio"] = values["patience_s"] = None
    table, scores = [], {}
    for name, value in values.items():
        b = bench[name]
        table.append({"metric": name, "value": None if value is None else round(value, 3), "low": b["low"],
                      "high": b["high"], "verdict": verdict(value, b), "source": b["source"]})
        sc = metric_score(value, b)
        if sc is not None:
            scores[name] = sc
    if f.objections:
        scores["objection_handling"] = int(round(100 * sum(o.handled for o in f.objections) / len(f.objections)))
    if f.customer:
        scores["next_step"] = 100 if f.has_next_step else 0
        unrec = sum(1 for s in f.negative_shifts if s.recovered_by is None)
        scores["customer_sentiment"] = max(0, 100 - 25 * unrec)
    if scores:
        scores["overall"] = int(round(sum(scores.values()) / len(scores)))
    return scores, table


def _next_practice(services: "Services", improvements: list[dict[str, Any]], scores: dict[str, int],
                   industry: str | None, language: str | None = None) -> dict[str, Any] | None:
    from coach.roleplay.personas import load_personas

    try:
        personas = list(load_personas(services.settings.knowledge_dir).values())
    except DOMAIN_ERRORS as exc:
        log.warning("personas unavailable: %s", exc.message)
        return None
    if not personas:
        return None
    crit = {k: v for k, v in scores.items() if k != "overall"}
    weakest = min(crit, key=crit.get) if crit else None  # type: ignore[arg-type]
    objection = next((i["area"].split(":", 1)[1] for i in improvements if i.get("area", "").startswith("objection:")
                      and i["area"] != "objection:None"), None)
    area = objection if weakest in ("objection_handling", "customer_sentiment") and objection else weakest

    def rank(p: Any) -> tuple[int, int, str]:
        has_obj = objection is not None and p.agenda_item(objection) is not None
        focus = has_obj if area == objection else (p.rubric == ("negotiation" if area == "next_step" else "discovery-call"))
        same_language = language is None or (p.language or "en") == (language or "en")[:2]
        return (-int(same_language), -int(bool(focus)), -int(p.industry == industry), p.id)

    best = sorted(personas, key=rank)[0]
    from coach.reports.labels import SCORES

    reason = (f"weakest area: {SCORES.get(weakest, weakest).lower()} ({crit.get(weakest)}/100)" if weakest
              else "general practice")
    if objection and best.agenda_item(objection) is not None:
        reason += f"; this buyer raises the {objection.replace('-', ' ')} objection"
    return {"persona_id": best.id, "name": best.name, "role": best.role, "industry": best.industry,
            "rubric": best.rubric, "reason": reason, "command": f"salescoach roleplay --persona {best.id}"}


# ------------------------------------------------------------------------ summary --
def _facts_text(f: CallFacts, scores: dict[str, int], improvements: list[dict[str, Any]],
                strengths: list[dict[str, Any]], practice: dict[str, Any] | None) -> str:
    m = f.analysis.metrics
    dur = max((u.end for u in f.analysis.utterances), default=0.0)
    lines = [f"Call length: {dur / 60:.1f} minutes, {len(f.analysis.utterances)} utterances."]
    if m.talk_ratio is not None and f.customer:
        lines.append(f"Rep talk ratio: {m.talk_ratio:.0%}.")
    lines.append(f"Questions asked by the rep: {f.analysis.metrics.questions_rep}.")
    lines.append(f"Objections raised: {len(f.objections)}; handled well: {sum(o.handled for o in f.objections)}.")
    if scores.get("overall") is not None:
        lines.append(f"Overall score: {scores['overall']}/100.")
    lines += [f"Strength: {s['text']}" for s in strengths[:3]]
    lines += [f"To improve: {i['text']}" for i in improvements[:3]]
    if practice:
        lines.append(f"Practise next with {practice['name']} ({practice['role']}): {practice['reason']}.")
    return "\n".join(lines)


def _summary(services: "Services", facts_text: str, f: CallFacts, use_llm: bool,
             timings: dict[str, Any]) -> tuple[str, str, bool, list[str]]:
    """(summary, model, llm_ok, notes)."""
    from coach.llm import SAFETY_INSTRUCTION, data_block, stream
    from coach.llm.registry import model_name
    from scripts_gen.phrase import _overlap
    from scripts_gen.validate import Validator

    fallback = " ".join(facts_text.splitlines()[:4] + [ln for ln in facts_text.splitlines() if ln.startswith("To improve")][:1])
    if not use_llm:
        return fallback, "none (computed summary)", False, []
    model = services.llm
    llm = services.settings.llm
    key_moments = [u for u in f.analysis.utterances
                   if u.id in {m.utterance_id for m in f.analysis.moments} or u.id in {s.utterance.id for s in f.negative_shifts}]
    messages = [("system", SUMMARY_SYSTEM + SAFETY_INSTRUCTION),
                ("human", data_block(facts_text, kind="call-facts")
                 + "\n\n" + data_block(transcript_excerpt(key_moments or f.analysis.utterances, 60), kind="key-moments")
                 + "\n\nWrite the summary now.")]
    t0 = time.perf_counter()
    s = stream(model, messages, max_tokens=min(llm.max_new_tokens, 160), timeout_s=llm.timeout_s,
               context_tokens=llm.context_tokens)
    for _ in s:
        if "first_token_s" not in timings:
            timings["first_token_s"] = round(time.perf_counter() - timings["_t0"], 3)
    r = s.result
    timings["llm_s"] = round(time.perf_counter() - t0, 3)
    name = model_name(model)
    notes = list(r.notes)
    if not r.ok:
        return fallback, name, False, notes + [f"LLM failed ({r.error_kind}): {r.error}; the computed summary is shown"]
    checked = Validator({}, lambda _cid: False).filter(r.text, source_text=facts_text)
    if checked.stats.dropped or len(checked.text) < 30 or _overlap(checked.text, facts_text) < 0.35:
        why = (f"{checked.stats.dropped} unsupported claim(s) removed" if checked.stats.dropped else "off-topic answer")
        return fallback, name, True, notes + [f"the LLM summary failed validation ({why}); the computed summary is shown"]
    return " ".join(checked.text.split()), name, True, notes


# --------------------------------------------------------------------------- main --
def _call_industry(services: "Services", call_id: str | None) -> str | None:
    if not call_id:
        return None

    with services.db.session() as s:
        call = s.get(Call, call_id)
        acc = s.get(Account, call.account_id) if call and call.account_id else None
        return acc.industry if acc and acc.industry else None


def _infer_industry(services: "Services", f: CallFacts) -> str | None:
    """The industry of the cases most similar to what the customer said (for the persona)."""
    from collections import Counter

    text = " ".join(u.text for u in f.customer)[:400]
    if not text.strip():
        return None
    try:
        hits = list(services.kb.search(text, k=3))
    except DOMAIN_ERRORS:
        return None
    common = Counter(h.industry for h in hits if h.industry).most_common(1)
    return common[0][0] if common else None


def generate_report(services: "Services", source: ReportSource, *, call_id: str | None = None,
                    use_llm: bool = True, store: bool = True, user_id: int | None = None) -> dict[str, Any]:
    """The post-call report of ``source`` (call id, analysis JSON path, recording or
    transcript path, a CallAnalysis or its dict). Stored with the call when there is one."""
    from scripts_gen.playbook import load_playbook

    t0 = time.perf_counter()
    timings: dict[str, Any] = {"_t0": t0}
    analysis, found_id = load_analysis(services, source, store=store, user_id=user_id)
    call_id = call_id or found_id
    timings["load_s"] = round(time.perf_counter() - t0, 3)
    if not analysis.utterances:
        raise EmptyInputError("the analysis has no utterances, so there is nothing to report on",
                              detail="check that the recording has speech")
    playbook = load_playbook(services.settings.knowledge_dir)
    f = compute_facts(analysis, playbook)
    warnings = list(analysis.warnings)
    if not f.customer:
        warnings.append("no customer speech found: the report covers the rep's side only")
    bench = benchmarks(services.db)
    industry = _call_industry(services, call_id) or _infer_industry(services, f)
    improvements = _improvements(services, f, bench, playbook, industry)
    strengths = _strengths(f, bench)
    scores, table = _scores(f, bench)
    practice = _next_practice(services, improvements, scores, industry, analysis.language)
    facts_text = _facts_text(f, scores, improvements, strengths, practice)
    summary, model, llm_ok, notes = _summary(services, facts_text, f, use_llm, timings)
    timings.pop("_t0")
    timings["total_s"] = round(time.perf_counter() - t0, 3)
    report = {
        "call_id": call_id,
        "summary": summary,
        "strengths": strengths,
        "improvements": [{k: v for k, v in i.items() if k != "area"} | {"area": i["area"]} for i in improvements],
        "scores": scores,
        "benchmarks": table,
        "next_practice": practice,
        "model": model,
        "llm_ok": llm_ok,
        "warnings": warnings + notes,
        "timings": timings,
    }
    if call_id and store:
        _store(services, call_id, report, model)
    return report


def _store(services: "Services", call_id: str, report: dict[str, Any], model: str, kind: str = "report") -> None:
    with services.db.session() as s:
        if s.get(Call, call_id) is None:
            raise NotFoundError(f"call {call_id} not found")
        s.add(Report(call_id=call_id, kind=kind, document=report, model=model[:120]))
