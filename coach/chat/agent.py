"""The tool-calling path: a langchain 1.x agent (``langchain.agents.create_agent``)
over :class:`coach.chat.tools.CoachTools`, streamed token by token.

The agent loop runs in a worker thread; tokens are handed over through a queue with a
deadline, so a slow endpoint ends the turn with a timeout instead of hanging the UI."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage

from coach.chat.sessions import StoredMessage
from coach.chat.tools import CoachTools
from coach.errors import DependencyMissingError
from coach.llm.generate import describe_error
from scripts_gen.prompt_safety import SAFETY_INSTRUCTION

log = logging.getLogger(__name__)

AGENT_SYSTEM = (
    "You are a sales coach for a B2B sales team. Use the tools to look up accounts, deal cases, calls, "
    "reports and team benchmarks before answering; never invent customers, numbers or cases. Cite every "
    "case you rely on with its id in square brackets, e.g. [case-id], and only ids returned by "
    "search_cases. If the tools find nothing relevant, say that you have nothing to go on. Be concise and "
    "practical. " + SAFETY_INSTRUCTION
)
RECURSION_LIMIT = 12
HISTORY_MESSAGES = 8


@dataclass
class AgentRun:
    """Filled while the agent streams; complete when the iterator ends."""

    text: str = ""
    ok: bool = True
    error: str | None = None
    error_kind: str | None = None
    first_token_s: float | None = None
    elapsed_s: float = 0.0
    tool_calls: list[str] = field(default_factory=list)


def build_agent(model: Any, tools: CoachTools) -> Any:
    try:
        from langchain.agents import create_agent
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DependencyMissingError("langchain", "the tool-calling coach chat") from exc
    return create_agent(model, tools=tools.langchain_tools(), system_prompt=AGENT_SYSTEM)


def run_agent(model: Any, tools: CoachTools, question: str, history: list[StoredMessage],
              run: AgentRun, *, timeout_s: float) -> Iterator[str]:
    """Yield the answer's tokens; ``run`` holds the final text and status afterwards."""
    msgs: list[BaseMessage] = []
    for m in history[-HISTORY_MESSAGES:]:
        msgs.append(HumanMessage(m.content) if m.role == "user" else AIMessage(m.content))
    msgs.append(HumanMessage(question))
    agent = build_agent(model, tools)
    box: queue.Queue[tuple[str, Any]] = queue.Queue()
    cancel = threading.Event()

    def produce() -> None:
        try:
            for chunk, meta in agent.stream({"messages": msgs}, stream_mode="messages",
                                            config={"recursion_limit": RECURSION_LIMIT}):
                if cancel.is_set():
                    break
                box.put(("msg", (chunk, meta)))
            box.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - reported in run
            box.put(("err", exc))

    t0 = time.perf_counter()
    threading.Thread(target=produce, name="coach-agent", daemon=True).start()
    texts: dict[str, str] = {}
    order: list[str] = []
    with_tools: set[str] = set()
    try:
        while True:
            remaining = timeout_s - (time.perf_counter() - t0)
            try:
                kind, value = box.get(timeout=max(0.0, remaining))
            except queue.Empty:
                kind, value = "err", TimeoutError()
            if kind == "end":
                break
            if kind == "err":
                run.ok = False
                run.error_kind, run.error = describe_error(value, model)
                log.warning("coach agent failed (%s): %s", run.error_kind, run.error)
                break
            chunk, meta = value
            if not isinstance(chunk, (AIMessage, AIMessageChunk)) or meta.get("langgraph_node") not in (None, "model"):
                continue
            mid = chunk.id or "_"
            if getattr(chunk, "tool_call_chunks", None) or getattr(chunk, "tool_calls", None):
                with_tools.add(mid)
                for tc in getattr(chunk, "tool_call_chunks", None) or getattr(chunk, "tool_calls", None) or []:
                    if tc.get("name"):
                        run.tool_calls.append(tc["name"])
            token = chunk.text if isinstance(chunk.text, str) else ""
            if token:
                if mid not in texts:
                    texts[mid] = ""
                    order.append(mid)
                texts[mid] += token
                if run.first_token_s is None:
                    run.first_token_s = time.perf_counter() - t0
                yield token
    finally:
        cancel.set()
        run.elapsed_s = time.perf_counter() - t0
    final = [m for m in order if m not in with_tools] or order
    run.text = texts[final[-1]].strip() if final else ""
    if run.ok and not run.text:
        run.ok, run.error_kind, run.error = False, "empty", "the model returned an empty answer"
