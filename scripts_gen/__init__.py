"""Pre-visit scripts: a grounded plan (:mod:`scripts_gen.plan`), phrased section by
section by the LLM (:mod:`scripts_gen.render`), validated (:mod:`scripts_gen.validate`),
as JSON or Markdown (:mod:`scripts_gen.markdown`).

    from scripts_gen import generate_script
    script = generate_script(services, account="Westlake Riverside Hospital", goal="agree a trial")
    script["sections"][2]["citations"]        # case ids behind the value story
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services
    from scripts_gen.render import TokenCallback

log = logging.getLogger(__name__)

__all__ = ["generate_script"]

SECTION_MAX_TOKENS = 160


def generate_script(
    services: "Services",
    *,
    account: str | None = None,
    notes: str | None = None,
    goal: str | None = None,
    user_id: int | None = None,
    use_llm: bool = True,
    on_token: "TokenCallback | None" = None,
    max_tokens: int | None = None,
) -> dict[str, Any]:
    """A cited pre-visit script (DESIGN.md contract plus ``validation``, ``llm_ok``).

    Raises NotFoundError for an unknown account (with close matches) and InputError when
    neither an account nor notes are given. LLM failures never raise: the grounded plan
    is returned with ``llm_ok`` false and the reason in ``warnings``."""
    from coach.llm.registry import model_name
    from scripts_gen.plan import build_plan
    from scripts_gen.render import render_section
    from scripts_gen.validate import ValidationStats, Validator

    t0 = time.perf_counter()
    plan = build_plan(services, account=account, notes=notes, goal=goal)
    t_plan = time.perf_counter() - t0
    validator = Validator({cid: f"{c.title}\n{c.customer}\n{c.body}" for cid, c in plan.cases.items()},
                          services.kb.has_case)
    model = services.llm if use_llm else None
    llm = services.settings.llm
    sections = []
    stats = ValidationStats()
    first_token: list[float] = []

    def _token(key: str, token: str) -> None:
        if not first_token:
            first_token.append(time.perf_counter() - t0)
        if on_token is not None:
            on_token(key, token)

    for sec in plan.sections:
        r = render_section(sec, model, validator, max_tokens=max_tokens or min(llm.max_new_tokens, SECTION_MAX_TOKENS),
                           timeout_s=llm.timeout_s, context_tokens=llm.context_tokens, on_token=_token)
        sections.append(r)
        stats.add(r.stats)
    cited = list(dict.fromkeys(c for r in sections for c in r.citations))
    warnings = list(plan.warnings)
    for r in sections:
        warnings.extend(f"{r.title}: {n}" for n in r.notes)
    if stats.dropped:
        log.info("script validation dropped %d of %d claims: %s", stats.dropped, stats.claims, dict(stats.reasons))
    llm_ok = bool(model is not None and all(r.llm_ok for r in sections))
    return {
        "account": plan.account.name if plan.account else None,
        "goal": plan.goal,
        "industry": plan.industry,
        "objections": plan.objections,
        "sections": [r.to_dict() for r in sections],
        "citations": [plan.cases[c].citation() for c in cited if c in plan.cases],
        "retrieved": [c.citation() for c in plan.cases.values()],
        "model": model_name(model) if model is not None else "none (grounded plan)",
        "llm_ok": llm_ok,
        "validation": {**stats.to_dict(), "dropped_claims": stats.dropped_claims[:50]},
        "warnings": warnings,
        "timings": {"plan_s": round(t_plan, 3), "total_s": round(time.perf_counter() - t0, 3),
                    "first_token_s": round(first_token[0], 3) if first_token else None},
        "user_id": user_id,
    }

