"""Scorecards from rubric files (``knowledge/rubrics/*.yaml``).

A rubric has weighted criteria made of weighted yes/no checks. Each check is a rule
evaluated on the annotated transcript (rep turns carry their classified acts, buyer
turns their chosen act); a check cites the turns that prove it, quoting them. A check
that cannot apply (no objection was raised, so none could be handled) is left out of
the weights and shown as not applicable (``passed: null``). Total = weighted mean of
criterion scores, 0-100.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import NotFoundError, ValidationFailed
from coach.roleplay.acts import REP_ACTS
from coach.roleplay.examples import CaseLibrary
from coach.roleplay.missed import ACT_WORDS, would_pass
from coach.roleplay.personas import Persona, format_validation_error, read_yaml
from coach.roleplay.transcript import quote, raised_objection

log = logging.getLogger(__name__)

RuleType = Literal[
    "act_count",
    "needs_revealed",
    "act_before",
    "talk_share",
    "max_turn_words",
    "objection_step",
    "objections_resolved",
    "outcome_in",
    "concession_discipline",
]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: RuleType
    act: str | None = None
    #: further acts that count as ``act`` (act_count: a clarifying question is an open question too)
    also: list[str] = Field(default_factory=list)
    before: str | None = None
    min: float | None = None
    max: float | None = None
    step: Literal["acknowledge", "clarify", "respond", "confirm"] | None = None
    values: list[str] = Field(default_factory=list)


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    weight: float = Field(default=1.0, gt=0)
    rule: Rule
    advice: str
    #: objections whose won-case example illustrates this check (default: the session's)
    objections: list[str] = Field(default_factory=list)


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    weight: float = Field(gt=0)
    checks: list[Check] = Field(min_length=1)


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    description: str = ""
    criteria: list[Criterion] = Field(min_length=1)


_RULE_NEEDS = {
    "act_count": ("act",),
    "act_before": ("act", "before"),
    "talk_share": ("max",),
    "max_turn_words": ("max",),
    "objection_step": ("step",),
    "outcome_in": ("values",),
}


def parse_rubric(data: dict, source: str) -> Rubric:
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(source, exc) from exc
    for ci, crit in enumerate(rubric.criteria):
        for ki, chk in enumerate(crit.checks):
            where = f"criteria.{ci}.checks.{ki}.rule"
            for need in _RULE_NEEDS.get(chk.rule.type, ()):
                if not getattr(chk.rule, need):
                    raise ValidationFailed(f"{source}: invalid field {where}.{need}: required for rule type {chk.rule.type!r}")
            for name, v in [("act", chk.rule.act), ("before", chk.rule.before)] + [("also", a) for a in chk.rule.also]:
                if v is not None and v not in REP_ACTS:
                    raise ValidationFailed(f"{source}: invalid field {where}.{name}: unknown rep act {v!r}")
    return rubric


def load_rubric(knowledge_dir: Path, rubric_id: str) -> Rubric:
    path = Path(knowledge_dir) / "rubrics" / f"{rubric_id}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in (Path(knowledge_dir) / "rubrics").glob("*.yaml"))
        raise NotFoundError(f"unknown rubric {rubric_id!r}", detail=f"available: {', '.join(available) or '(none)'}")
    return parse_rubric(read_yaml(path), str(path))


# ------------------------------------------------------------------------ evaluation --
@dataclass
class CheckResult:
    id: str
    text: str
    weight: float
    passed: bool | None
    evidence: str
    turns: list[int] = field(default_factory=list)
    #: objections this result is about (failed ones first), for the coaching example
    objections: list[str] = field(default_factory=list)

    @property
    def applicable(self) -> bool:
        return self.passed is not None


OUTCOME_WORDS = {
    "deal": "a deal",
    "next_step": "a next step agreed",
    "walked_away": "the buyer walked away",
    "timed_out": "the call ran out of time",
    "no_decision": "no decision",
}


def _w(act: str | None) -> str:
    """An act in users' words."""
    return ACT_WORDS.get(act or "", (act or "").replace("_", " "))


def _quotes(turns: list[dict], idxs: list[int], n: int = 3) -> str:
    parts = [quote(turns, i) for i in idxs[:n]]
    if len(idxs) > n:
        parts.append(f"and {len(idxs) - n} more")
    return "; ".join(parts)


def _rep(turns: list[dict]) -> list[int]:
    return [i for i, t in enumerate(turns) if t["speaker"] == "rep"]


def _with_act(turns: list[dict], act: str) -> list[int]:
    return [i for i in _rep(turns) if act in turns[i].get("acts", [])]


def _objection_windows(turns: list[dict]) -> list[tuple[str, int, list[int]]]:
    """(objection, buyer turn that raised it, the rep turns answering it): at most three,
    until the buyer concedes it or raises a different objection."""
    out = []
    for i, t in enumerate(turns):
        oid = raised_objection(t)
        if oid is None:
            continue
        reps: list[int] = []
        for j in range(i + 1, len(turns)):
            tj = turns[j]
            if tj["speaker"] == "rep":
                reps.append(j)
                if len(reps) >= 3:
                    break
            elif tj.get("act") in ("concede_point", "accept_offer") or tj.get("conceded") or (
                raised_objection(tj) not in (None, oid)
            ):
                break
        out.append((oid, i, reps))
    return out


def evaluate(check: Check, turns: list[dict], persona: Persona, outcome: str | None) -> CheckResult:
    r = check.rule
    res = CheckResult(check.id, check.text, check.weight, False, "")
    reps = _rep(turns)
    if r.type == "act_count":
        idxs = sorted({i for a in [r.act or "", *r.also] for i in _with_act(turns, a)})
        n = len(idxs)
        ok = (r.min is None or n >= r.min) and (r.max is None or n <= r.max)
        res.passed, res.turns = ok, idxs
        bound = f"at least {r.min:g}" if r.min is not None else f"at most {r.max:g}"
        res.evidence = f"{n} rep turn(s) with {_w(r.act)} ({bound} needed)" + (f": {_quotes(turns, idxs)}" if idxs else "")
    elif r.type == "needs_revealed":
        idxs = [i for i, t in enumerate(turns) if t["speaker"] == "buyer" and t.get("act") == "reveal_need"]
        asks = [i - 1 for i in idxs if i > 0 and turns[i - 1]["speaker"] == "rep"]
        res.passed = len(idxs) >= (r.min or 1)
        res.turns = sorted(set(idxs + asks))
        res.evidence = f"{len(idxs)} of {len(persona.hidden_needs)} hidden needs uncovered" + (
            f": {_quotes(turns, res.turns, 4)}" if idxs else ""
        )
    elif r.type == "act_before":
        first = _with_act(turns, r.act or "")
        later = _with_act(turns, r.before or "")
        if not first and not later:
            res.passed, res.evidence = None, f"not applicable: no {_w(r.before)} and no {_w(r.act)}"
        elif not first:
            res.passed, res.evidence = False, f"no rep turn with {_w(r.act)}"
            res.turns = later[:1]
            if later:
                res.evidence += f"; first {_w(r.before)}: {quote(turns, later[0])}"
        elif not later or first[0] < later[0]:
            res.passed, res.turns = True, [first[0]] + later[:1]
            res.evidence = f"first {_w(r.act)}: {quote(turns, first[0])}" + (f"; first {_w(r.before)}: {quote(turns, later[0])}" if later else "")
        else:
            res.passed, res.turns = False, [later[0], first[0]]
            res.evidence = f"{_w(r.before)} came first: {quote(turns, later[0])}; first {_w(r.act)} only at turn {first[0]}"
    elif r.type == "talk_share":
        rep_w = sum(turns[i].get("words", 0) for i in reps)
        total = sum(t.get("words", 0) for t in turns) or 1
        share = rep_w / total
        res.passed = share <= (r.max or 1.0)
        res.turns = reps
        res.evidence = f"rep spoke {rep_w} of {total} words ({share:.0%}; at most {r.max:.0%} wanted)"
    elif r.type == "max_turn_words":
        if not reps:
            res.passed, res.evidence = None, "not applicable: the rep said nothing"
        else:
            longest = max(reps, key=lambda i: turns[i].get("words", 0))
            w = turns[longest].get("words", 0)
            res.passed, res.turns = w <= (r.max or 0), [longest]
            res.evidence = f"longest rep turn {w} words (at most {r.max:g}): {quote(turns, longest)}"
    elif r.type == "objection_step":
        res = _objection_step(check, turns, persona)
    elif r.type == "objections_resolved":
        raised = sorted({o for t in turns if (o := raised_objection(t))})
        if not raised:
            res.passed, res.evidence = None, "not applicable: the buyer raised no objection"
        else:
            resolved_at = {}
            for i, t in enumerate(turns):
                if t["speaker"] == "buyer" and t.get("act") == "concede_point":
                    resolved_at.setdefault(t.get("objection"), i)
                if t["speaker"] == "buyer" and t.get("conceded"):
                    resolved_at.setdefault(t["conceded"], i)
                if t["speaker"] == "buyer" and t.get("act") == "accept_offer":
                    resolved_at.setdefault("price", i)
            done = [o for o in raised if o in resolved_at]
            res.passed = len(done) == len(raised)
            res.objections = [o for o in raised if o not in resolved_at]
            res.turns = sorted(resolved_at[o] for o in done)
            res.evidence = f"{len(done)} of {len(raised)} objections resolved ({', '.join(raised)})" + (
                f": {_quotes(turns, res.turns)}" if done else ""
            )
    elif r.type == "outcome_in":
        last = len(turns) - 1
        res.passed = outcome in r.values
        res.turns = [last] if last >= 0 else []
        res.evidence = f"outcome: {OUTCOME_WORDS.get(outcome or '', outcome or 'none')}" + (
            f"; {quote(turns, last)}" if last >= 0 else ""
        )
    elif r.type == "concession_discipline":
        conc = _with_act(turns, "concession")
        value = sorted(set(_with_act(turns, "need_linked_value") + _with_act(turns, "roi") + _with_act(turns, "evidence")))
        if not conc:
            res.passed, res.evidence = True, "no price concession made"
        else:
            early = [i for i in conc if not value or i < value[0]]
            too_many = r.max is not None and len(conc) > r.max
            res.passed = not early and not too_many
            res.turns = conc
            why = []
            if early:
                why.append("conceded before any value/evidence was established")
            if too_many:
                why.append(f"{len(conc)} concessions (at most {r.max:g})")
            res.evidence = ("; ".join(why) or "concessions only after value") + f": {_quotes(turns, conc)}"
    return res


def _objection_step(check: Check, turns: list[dict], persona: Persona) -> CheckResult:
    step = check.rule.step or "acknowledge"
    res = CheckResult(check.id, check.text, check.weight, None, "")
    windows = _objection_windows(turns)
    if not windows:
        res.evidence = "not applicable: the buyer raised no objection"
        return res
    hits, misses = [], []
    for oid, raised_at, reps in windows:
        if step == "respond":
            item = persona.agenda_item(oid)
            acts_needed = item.resolved_by if item else ["evidence", "roi"]
        else:
            acts_needed = [step]
        hit = next((j for j in reps if any(a in turns[j].get("acts", []) for a in acts_needed)), None)
        (hits if hit is not None else misses).append((oid, raised_at, hit))
    res.passed = not misses
    res.objections = [oid for oid, _, _ in misses]
    res.turns = sorted({i for _, r, h in hits + misses for i in (r, h) if i is not None})
    parts = [f"{oid}: {step} at {quote(turns, h)}" for oid, _, h in hits]
    parts += [f"{oid} (raised at turn {r}): no {step}" for oid, r, _ in misses]
    res.evidence = f"{len(hits)} of {len(windows)} objections: " + "; ".join(parts)
    return res


def score(
    rubric: Rubric,
    turns: list[dict],
    persona: Persona,
    outcome: str | None,
    library: CaseLibrary | None = None,
    raised_objections: list[str] | None = None,
) -> dict[str, Any]:
    """The scorecard dict (the ``scorecard`` of the CLI JSON contract)."""
    criteria_out = []
    feedback = []
    total_w = total = 0.0
    session_objs = raised_objections or [a.objection for a in persona.objection_agenda]
    quoted: set[str] = set()
    for crit in rubric.criteria:
        results = [evaluate(c, turns, persona, outcome) for c in crit.checks]
        fixes = [would_pass(c, r, turns, persona) if r.passed is False else ("", None) for c, r in zip(crit.checks, results)]
        app = [r for r in results if r.applicable]
        w = sum(r.weight for r in app)
        crit_score = round(100.0 * sum(r.weight for r in app if r.passed) / w, 1) if w else None
        if crit_score is not None:
            total += crit.weight * crit_score
            total_w += crit.weight
        criteria_out.append(
            {
                "id": crit.id,
                "name": crit.name,
                "weight": crit.weight,
                "score": crit_score,
                "checks": [
                    {
                        "id": r.id,
                        "text": r.text,
                        "passed": r.passed,
                        "status": "not applicable" if r.passed is None else ("passed" if r.passed else "failed"),
                        "weight": r.weight,
                        "evidence": r.evidence,
                        "turns": r.turns,
                        **({"would_pass": fix, "missed_turn": at} if r.passed is False else {}),
                    }
                    for r, (fix, at) in zip(results, fixes)
                ],
            }
        )
        for chk, r, (fix, at) in zip(crit.checks, results, fixes):
            if r.passed is False:
                objs = r.objections or chk.objections or session_objs
                ex = library.example(objs, persona.industry, avoid=quoted) if library else None
                if ex:
                    quoted.add(ex.case_id)
                feedback.append(
                    {
                        "criterion": crit.name,
                        "check": chk.text,
                        "advice": chk.advice,
                        "would_pass": fix,
                        "missed_turn": at,
                        "turns": r.turns,
                        "example": ex.to_dict() if ex else None,
                    }
                )
    return {
        "rubric": rubric.id,
        "total": round(total / total_w, 1) if total_w else 0.0,
        "criteria": criteria_out,
        "feedback": feedback,
    }
