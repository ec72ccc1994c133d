"""The coach's tools: search cases, get an account, get a call's analysis or report,
write a pre-visit script, get team benchmarks.

:class:`CoachTools` is used two ways: directly by the fixed retrieve-then-answer chain
(small local model), and as langchain tools by the agent (tool-calling models). Every
tool result the model sees is wrapped in a DATA block (:mod:`scripts_gen.prompt_safety`), and
everything a tool returned is recorded in :attr:`CoachTools.evidence`, so citations in
the answer can be checked against what was actually retrieved.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coach.errors import DOMAIN_ERRORS, NotFoundError
from scripts_gen.prompt_safety import data_block
from scripts_gen import generate_script

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)

#: minimum cosine similarity (query vs best chunk of a case) for a case to count as
#: relevant; below it the coach says it has nothing to go on (see docs/coach-llm.md)
MIN_RELEVANCE = 0.32


@dataclass
class Evidence:
    """What the tools returned during one chat turn."""

    #: case id -> hit json (id, title, outcome, industry, score, relevance, snippet)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    tool_log: list[str] = field(default_factory=list)
    #: the knowledge base had no cases at all when searched
    kb_empty: bool = False


class CoachTools:
    def __init__(self, services: "Services", *, user_id: int | None = None, min_relevance: float = MIN_RELEVANCE) -> None:
        self.services = services
        self.user_id = user_id
        self.min_relevance = min_relevance
        self.evidence = Evidence()

    # ------------------------------------------------------------------ the tools --
    def search_cases(self, query: str, k: int = 4, outcome: str | None = None,
                     industry: str | None = None) -> list[dict[str, Any]]:
        """Relevant cases (hybrid ranking, kept when their vector similarity clears
        ``min_relevance``); [] when nothing relevant or the knowledge base is empty."""
        kb = self.services.kb
        if not kb.stats().get("cases"):
            self.evidence.kb_empty = True
            self.evidence.tool_log.append(f"search_cases({query!r}): knowledge base empty")
            return []
        filters = {"outcome": outcome or None, "industry": industry or None}
        similar = {h.id: h.score for h in kb.search(query, k=max(10, 3 * k), mode="vector", **filters)}
        hits = []
        for h in kb.search(query, k=k, **filters):
            rel = similar.get(h.id, 0.0)
            if rel >= self.min_relevance:
                item = h.to_json()
                item["relevance"] = round(rel, 3)
                hits.append(item)
                self.evidence.cases.setdefault(h.id, item)
        self.evidence.tool_log.append(f"search_cases({query!r}): {len(hits)} relevant")
        return hits

    def case_excerpt(self, case_id: str, query: str) -> dict[str, Any] | None:
        """A case by id (e.g. cited earlier in the conversation) as a hit with the excerpt
        that best matches ``query``; None when it no longer exists."""
        from retrieval.search import best_snippet

        try:
            case = self.services.kb.get_case(case_id)
        except DOMAIN_ERRORS:
            return None
        item = {"id": case.id, "title": case.title, "outcome": case.outcome, "industry": case.industry,
                "product": case.product, "score": None, "relevance": None, "snippet": best_snippet(case.body, query)}
        self.evidence.cases.setdefault(case.id, item)
        self.evidence.tool_log.append(f"case_excerpt({case_id!r})")
        return item

    def get_account(self, name: str) -> dict[str, Any]:
        from coach.accounts.service import AccountService

        ctx = AccountService(self.services.db).get_account_context(name, viewer_id=self.user_id)
        if ctx.name not in self.evidence.accounts:
            self.evidence.accounts.append(ctx.name)
        self.evidence.tool_log.append(f"get_account({name!r}): {ctx.name}")
        return ctx.model_dump()

    def get_call(self, call_id: str, kind: str = "analysis") -> dict[str, Any]:
        """A stored call's analysis document or its latest report (kind='report'/'retro')."""
        from sqlalchemy import select

        from coach.db.models import Call, Report, User
        from coach.auth.permissions import Principal, ensure_visible

        with self.services.db.session() as s:
            call = s.get(Call, call_id.strip())
            if call is None:
                raise NotFoundError(f"call {call_id} not found")
            if self.user_id is not None:
                user = s.get(User, self.user_id)
                if user is not None:
                    ensure_visible(s, Principal.from_user(user), call.user_id, "call", call_id)
            if kind == "analysis":
                if call.analysis is None:
                    raise NotFoundError(f"call {call_id} has no analysis yet (status {call.status})")
                doc = dict(call.analysis.document)
            else:
                rep = s.scalars(select(Report).where(Report.call_id == call.id, Report.kind == kind)
                                .order_by(Report.created_at.desc())).first()
                if rep is None:
                    raise NotFoundError(f"call {call_id} has no {kind} yet", detail="write the report first (call page, Report tab)")
                doc = dict(rep.document)
        self.evidence.calls.append(call_id)
        self.evidence.tool_log.append(f"get_call({call_id!r}, {kind})")
        return doc

    def write_script(self, account: str | None = None, notes: str | None = None, goal: str | None = None) -> dict[str, Any]:
        """A pre-visit script from ``scripts_gen.generate_script``; its cited cases join the evidence."""
        script = generate_script(self.services, account=account, notes=notes, goal=goal)
        doc = script.model_dump(mode="json") if hasattr(script, "model_dump") else dict(script)
        for cid in doc.get("citations") or []:
            cid = cid.get("id") if isinstance(cid, dict) else cid
            if isinstance(cid, str):
                self.evidence.cases.setdefault(cid, {"id": cid, "title": "", "outcome": "", "industry": ""})
        self.evidence.tool_log.append(f"write_script(account={account!r})")
        return doc

    def team_benchmarks(self) -> dict[str, Any]:
        from coach.reports.team_benchmarks import team_benchmarks

        visible = None
        if self.user_id is not None:
            from coach.db.models import User
            from coach.auth.permissions import Principal, visible_user_ids

            with self.services.db.session() as s:
                user = s.get(User, self.user_id)
                visible = visible_user_ids(s, Principal.from_user(user)) if user is not None else {self.user_id}
        self.evidence.tool_log.append("team_benchmarks()")
        return team_benchmarks(self.services.db, visible_user_ids=visible)

    # ------------------------------------------------------------- langchain view --
    def langchain_tools(self) -> list[Any]:
        """The tools as langchain ``StructuredTool``s. Results come back as DATA blocks;
        domain errors come back as text (the agent can tell the user) instead of raising."""
        from langchain_core.tools import StructuredTool

        def wrap(fn: Any, name: str, description: str, kind: str) -> Any:
            def run(**kwargs: Any) -> str:
                try:
                    out = fn(**{k: v for k, v in kwargs.items() if v is not None})
                except DOMAIN_ERRORS as exc:
                    return f"error: {exc.message}"
                if kind == "cases":
                    if not out:
                        return ("No relevant cases found" + (" (the knowledge base is empty)" if self.evidence.kb_empty else "")
                                + ". Tell the user you have nothing to go on; do not invent cases.")
                    return "\n\n".join(data_block(_case_text(h), kind="case", ref=h["id"]) for h in out)
                return data_block(json.dumps(out, ensure_ascii=False, default=str)[:6000], kind=kind)

            return StructuredTool.from_function(func=run, name=name, description=description,
                                                args_schema=_SCHEMAS[name])

        return [
            wrap(self.search_cases, "search_cases", "Search won and lost deal cases. Returns relevant cases with ids to cite as [case-id].", "cases"),
            wrap(self.get_account, "get_account", "Get an account: contacts, opportunities, open objections, past calls, last contact.", "account"),
            wrap(self.get_call, "get_call", "Get a stored call's analysis (kind='analysis') or its post-call report (kind='report').", "call"),
            wrap(self.write_script, "write_script", "Write a grounded pre-visit script for an account and/or notes, with a goal.", "script"),
            wrap(self.team_benchmarks, "team_benchmarks", "Team benchmarks: median talk ratio, questions etc. of all and won calls.", "benchmarks"),
        ]


def _case_text(hit: dict[str, Any]) -> str:
    return (f"{hit.get('title', '')} (outcome: {hit.get('outcome', '')}, industry: {hit.get('industry', '')}, "
            f"product: {hit.get('product', '')})\n{hit.get('snippet', '')}")


def _schemas() -> dict[str, Any]:
    from pydantic import BaseModel, Field

    class SearchArgs(BaseModel):
        query: str = Field(description="what to look for, e.g. 'hospital price objection'")
        k: int = Field(default=4, ge=1, le=10)
        outcome: str | None = Field(default=None, description="won or lost")
        industry: str | None = None

    class AccountArgs(BaseModel):
        name: str = Field(description="account name")

    class CallArgs(BaseModel):
        call_id: str
        kind: str = Field(default="analysis", description="analysis or report")

    class ScriptArgs(BaseModel):
        account: str | None = None
        notes: str | None = None
        goal: str | None = None

    class NoArgs(BaseModel):
        pass

    return {"search_cases": SearchArgs, "get_account": AccountArgs, "get_call": CallArgs,
            "write_script": ScriptArgs, "team_benchmarks": NoArgs}


_SCHEMAS = _schemas()
