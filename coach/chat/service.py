"""``ChatService``: one coach chat turn, streamed, stored, with checked citations.

    reply = ChatService(services).ask(session_id=None, user_id=None, text="...")
    for token in reply:            # stream to the terminal / the web UI
        ...
    reply.answer                   # ChatAnswer: text, citations, session_id, ok, notes ...

Tool-calling models (the ``openai`` provider, or a fake built with ``tool_calling=True``)
run the agent (:mod:`coach.chat.agent`); others run the fixed retrieve-then-answer chain
(:mod:`coach.chat.chain`). Whatever the LLM does, the answer ends with a code-written
"Sources" list of the retrieved cases, invalid citations are removed, and when the LLM
fails the user gets what was found (grounded summary) and a clear note.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from coach.chat.answer import (
    ChatAnswer, Citation, account_facts, check_citations, grounded_summary, sources_text,
)
from coach.chat.chain import KB_EMPTY, NOTHING_FOUND, build_messages, case_passage_text
from coach.chat.grounding import Passage, SupportChecker, checked_pieces, extractive_answer, stream_sentences
from coach.chat.sessions import ChatStore, followup_context
from coach.chat.tools import MIN_RELEVANCE, CoachTools
from coach.errors import DOMAIN_ERRORS, InputError
from coach.llm.generate import stream
from coach.llm.registry import model_name, supports_tools

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 20_000
MAX_ACCOUNTS = 2
CASES_K = 4


class ChatReply(Iterator[str]):
    """Iterator over the answer's tokens; ``answer`` is set when it is exhausted."""

    def __init__(self, produce: Callable[["ChatReply"], Iterator[str]], session_id: str) -> None:
        self.session_id = session_id
        self.answer: ChatAnswer | None = None
        self._it = produce(self)

    def __iter__(self) -> "ChatReply":
        return self

    def __next__(self) -> str:
        return next(self._it)

    def collect(self) -> ChatAnswer:
        for _ in self:
            pass
        assert self.answer is not None
        return self.answer


class ChatService:
    def __init__(self, services: "Services", *, mode: Literal["auto", "agent", "chain"] = "auto",
                 min_relevance: float = MIN_RELEVANCE) -> None:
        self.services = services
        self.mode = mode
        self.min_relevance = min_relevance
        self.store = ChatStore(services.db, redact=services.settings.redact_stored_transcripts)

    def _use_agent(self) -> bool:
        if self.mode != "auto":
            return self.mode == "agent"
        return supports_tools(self.services.llm)

    def ask(self, session_id: str | None, user_id: int | None, text: str) -> ChatReply:
        """Start a turn: validates input and the session now (errors raise here), then
        streams. The user message is stored at once, the answer when the stream ends."""
        text = (text or "").strip()
        if not text:
            raise InputError("the message is empty")
        if len(text) > MAX_QUESTION_CHARS:
            raise InputError(f"the message is too long ({len(text)} characters, at most {MAX_QUESTION_CHARS})",
                             detail="upload a long transcript on the Calls page instead")
        sid = self.store.open(session_id, user_id, text)
        history = self.store.messages(sid, limit=8)
        self.store.add(sid, "user", text)
        tools = CoachTools(self.services, user_id=user_id, min_relevance=self.min_relevance)
        agent = self._use_agent()
        return ChatReply(lambda reply: self._turn(reply, sid, text, history, tools, agent), sid)

    # ------------------------------------------------------------------ one turn --
    def _turn(self, reply: ChatReply, sid: str, text: str, history: list[Any], tools: CoachTools,
              agent: bool) -> Iterator[str]:
        t0 = time.perf_counter()
        answer = ChatAnswer(session_id=sid, text="", model=model_name(self.services.llm),
                            mode="agent" if agent else "chain")
        body = yield from (self._agent_turn(answer, text, history, tools) if agent
                           else self._chain_turn(answer, text, history, tools))
        cleaned, valid, dropped = check_citations(body, set(tools.evidence.cases))
        dropped = list(dict.fromkeys(answer.dropped_citations + dropped))
        if dropped:
            answer.notes.append("removed citations of cases that were not retrieved: " + ", ".join(dropped))
        cases = list(tools.evidence.cases.values())
        tail = sources_text(cases)
        if tail:
            yield tail
        from coach.llm.markdown_safety import strip_external

        answer.text = (strip_external(cleaned).strip() + tail).strip()
        answer.dropped_citations = dropped
        # cases the model cited first (in citation order), then the other retrieved ones
        ordered = sorted(cases, key=lambda c: valid.index(c["id"]) if c["id"] in valid else len(valid))
        answer.citations = [Citation(id=c["id"], title=c.get("title") or "", outcome=c.get("outcome") or "",
                                     industry=c.get("industry") or "", relevance=c.get("relevance"))
                            for c in ordered]
        answer.accounts = list(tools.evidence.accounts)
        answer.tools_used = list(tools.evidence.tool_log)
        answer.elapsed_s = round(time.perf_counter() - t0, 3)
        answer.message_id = self.store.add(sid, "assistant", answer.text, [c.id for c in answer.citations])
        reply.answer = answer

    def _lookup(self, text: str, tools: CoachTools, history: list[Any] | None = None,
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Accounts mentioned in the question and relevant cases (no LLM involved).

        A follow-up keeps the conversation's context: a short question is searched
        together with the previous one, and the cases the last answer cited stay in."""
        from coach.accounts.service import AccountService

        query, carried = followup_context(text, history or [])
        accounts = []
        for name in AccountService(self.services.db).find_mentioned(query)[:MAX_ACCOUNTS]:
            try:
                accounts.append(tools.get_account(name))
            except DOMAIN_ERRORS as exc:  # pragma: no cover - just listed
                log.warning("account %s: %s", name, exc)
        cases = tools.search_cases(query, k=CASES_K)
        found = {c["id"] for c in cases}
        for cid in carried:
            if cid not in found and len(cases) < CASES_K + 2:
                item = tools.case_excerpt(cid, query)
                if item is not None:
                    cases.append(item)
                    found.add(cid)
        return accounts, cases

    def _fallback(self, answer: ChatAnswer, text: str, tools: CoachTools, accounts: list[dict[str, Any]] | None,
                  cases: list[dict[str, Any]] | None) -> str:
        if accounts is None or cases is None:
            accounts, cases = self._lookup(text, tools)
        answer.mode = "grounded"
        if not accounts and not cases:
            return KB_EMPTY if tools.evidence.kb_empty else NOTHING_FOUND
        facts = [f for a in accounts for f in account_facts(a)]
        return grounded_summary(cases, facts)

    def _chain_turn(self, answer: ChatAnswer, text: str, history: list[Any], tools: CoachTools) -> Iterator[str]:
        from coach.accounts.service import AccountContext

        accounts, cases = self._lookup(text, tools, history)
        if not accounts and not cases:
            body = self._fallback(answer, text, tools, accounts, cases)
            yield body
            return body
        if tools.evidence.kb_empty:
            answer.notes.append("the knowledge base is empty: no cases to draw on")
        elif not cases:
            answer.notes.append("no relevant cases found in the knowledge base")
        rendered = [AccountContext(**a).to_prompt_text() for a in accounts]
        passages = [Passage(ref=a["name"], text=t, citable=False) for a, t in zip(accounts, rendered)]
        passages += [Passage(ref=c["id"], text=case_passage_text(c), title=c.get("title") or "") for c in cases]
        checker = SupportChecker(passages, text)
        llm = self.services.settings.llm
        s = stream(self.services.llm, build_messages(text, cases, rendered, history),
                   timeout_s=llm.timeout_s, context_tokens=llm.context_tokens)
        kept: list[str] = []
        dropped = 0
        gap = ""  # the space or line break after the last kept sentence, sent with the next one
        for piece in checked_pieces(stream_sentences(s), checker):
            answer.dropped_citations.extend(c for c in piece.foreign if c not in answer.dropped_citations)
            if piece.ok:
                text = piece.text.rstrip(" \n")
                out, gap = gap + text, piece.text[len(text):]
                kept.append(out)
                yield out
            else:
                dropped += 1
                answer.unsupported.append(piece.text.strip())
        r = s.result
        answer.notes.extend(r.notes)
        answer.first_token_s = r.first_token_s
        answer.model = r.model
        if dropped:
            answer.notes.append(f"{dropped} sentence(s) of the model's answer were left out: "
                                "the cited cases do not support them")
        body = "".join(kept).strip()
        if r.ok and body:
            return body
        if r.ok:
            answer.mode = "extractive"
            quoted = extractive_answer(passages, text)
            yield quoted
            return quoted
        answer.ok, answer.error = False, r.error
        grounded = self._fallback(answer, text, tools, accounts, cases)
        note = f"\n\n(The language model failed: {r.error}. Here is what I found.)\n\n{grounded}"
        yield note
        return (body + note) if body else note.strip()

    def _agent_turn(self, answer: ChatAnswer, text: str, history: list[Any], tools: CoachTools) -> Iterator[str]:
        from coach.chat.agent import AgentRun, run_agent

        run = AgentRun()
        timeout = self.services.settings.llm.timeout_s * 3
        yield from run_agent(self.services.llm, tools, text, history, run, timeout_s=timeout)
        answer.first_token_s = run.first_token_s
        if run.ok:
            if any(t.startswith("search_cases") for t in tools.evidence.tool_log) and not tools.evidence.cases:
                note = ("\n\n(No relevant cases were found in the knowledge base"
                        + (": it is empty" if tools.evidence.kb_empty else "") + ".)")
                yield note
                return run.text + note
            return run.text
        answer.ok, answer.error = False, run.error
        grounded = self._fallback(answer, text, tools, None, None)
        note = f"\n\n(The language model failed: {run.error}. Here is what I found.)\n\n{grounded}"
        yield note
        return note.strip()

    # ------------------------------------------------------------------ history --
    def history(self, session_id: str) -> list[dict[str, Any]]:
        return [m.model_dump() for m in self.store.messages(session_id, roles=("user", "assistant", "tool"))]

    def sessions(self, user_id: int | None = None) -> list[dict[str, Any]]:
        return [s.model_dump() for s in self.store.sessions(user_id)]
