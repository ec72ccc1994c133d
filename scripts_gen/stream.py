"""A pre-visit script that shows at once and gets better: the grounded plan first, then
each section as soon as its model phrasing has passed validation.

    for event in stream_script(services, account="Westlake Riverside Hospital"):
        if event.kind == "plan":      # at once (no model involved): every section, plan text
            show(event.script)
        elif event.kind == "section": # one section replaced by its validated phrasing
            update(event.section)     # (or kept as the plan, with the reason in event.section["notes"])
        else:                         # "done": the final script, same as generate_script()
            final = event.script

Every event carries the whole script as it stands (``event.script``), so a page can
simply re-render it. Validation notes stay out of the section text: they are in
``section["notes"]`` and ``script["validation"]`` (a details panel), never in ``content``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    from scripts_gen.phrase import TokenCallback
    from scripts_gen.ports import ScriptServices

log = logging.getLogger(__name__)

SECTION_MAX_TOKENS = 160


@dataclass
class ScriptEvent:
    kind: Literal["plan", "section", "done"]
    #: the whole script as it stands after this event (the contract of generate_script)
    script: dict[str, Any]
    #: the section this event changed ("section" events)
    section: dict[str, Any] | None = None
    #: seconds since the request started
    at_s: float = 0.0


def stream_script(
    services: "ScriptServices",
    *,
    account: str | None = None,
    notes: str | None = None,
    goal: str | None = None,
    user_id: int | None = None,
    use_llm: bool = True,
    on_token: "TokenCallback | None" = None,
    max_tokens: int | None = None,
) -> Iterator[ScriptEvent]:
    """Events of one script (see the module doc). Errors in the request (unknown account,
    nothing to go on) raise before the first event; model failures never raise."""
    from scripts_gen.phrase import render_section
    from scripts_gen.plan import build_plan
    from scripts_gen.validate import ValidationStats, Validator

    t0 = time.perf_counter()
    plan = build_plan(services, account=account, notes=notes, goal=goal, user_id=user_id)
    t_plan = time.perf_counter() - t0
    validator = Validator({cid: f"{c.title}\n{c.customer}\n{c.body}" for cid, c in plan.cases.items()},
                          services.kb.has_case)
    model = services.writer if use_llm else None
    llm = services.settings.llm
    budget = max_tokens or min(llm.max_new_tokens, SECTION_MAX_TOKENS)
    first_token: list[float] = []

    def _token(key: str, token: str) -> None:
        if not first_token:
            first_token.append(time.perf_counter() - t0)
        if on_token is not None:
            on_token(key, token)

    # the plan, validated, is the first thing shown (and the fallback of every section)
    rendered = [render_section(sec, None, validator, max_tokens=budget, timeout_s=None, context_tokens=None)
                for sec in plan.sections]
    name = model.name if model is not None else "none (grounded plan)"

    def script(done: bool) -> dict[str, Any]:
        stats = ValidationStats()
        for r in rendered:
            stats.add(r.stats)
        cited = list(dict.fromkeys(c for r in rendered for c in r.citations))
        notes_ = [f"{r.title}: {n}" for r in rendered for n in r.notes]
        # a model that is down is news for the user; validation details are for the details panel
        failures = list(dict.fromkeys(n.split(": ", 1)[1] for n in notes_ if ": LLM failed" in n))
        return {
            "account": plan.account.name if plan.account else None,
            "goal": plan.goal,
            "industry": plan.industry,
            "objections": plan.objections,
            "sections": [r.to_dict() for r in rendered],
            "citations": [plan.cases[c].citation() for c in cited if c in plan.cases],
            "retrieved": [c.citation() for c in plan.cases.values()],
            "model": name,
            "llm_ok": bool(done and model is not None and all(r.llm_ok for r in rendered)),
            "phrased_sections": sum(r.source == "llm" for r in rendered),
            "complete": done,
            "validation": {**stats.to_dict(), "dropped_claims": stats.dropped_claims[:50],
                           "notes": [n for n in notes_ if ": LLM failed" not in n]},
            "warnings": list(plan.warnings) + failures,
            "timings": {"plan_s": round(t_plan, 3), "total_s": round(time.perf_counter() - t0, 3),
                        "first_token_s": round(first_token[0], 3) if first_token else None},
            "user_id": user_id,
        }

    yield ScriptEvent("plan", script(done=model is None), at_s=time.perf_counter() - t0)
    if model is None:
        yield ScriptEvent("done", script(done=True), at_s=time.perf_counter() - t0)
        return
    for i, sec in enumerate(plan.sections):
        r = render_section(sec, model, validator, max_tokens=budget, timeout_s=llm.timeout_s,
                           context_tokens=llm.context_tokens, on_token=_token)
        rendered[i] = r
        yield ScriptEvent("section", script(done=False), section=r.to_dict(), at_s=time.perf_counter() - t0)
    final = script(done=True)
    v = final["validation"]
    if v["dropped"]:
        log.info("script validation dropped %d of %d claims: %s", v["dropped"], v["claims"], v["reasons"])
    yield ScriptEvent("done", final, at_s=time.perf_counter() - t0)
