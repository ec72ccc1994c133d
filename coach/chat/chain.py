"""The fixed retrieve-then-answer chain for models without tool calling (the bundled
135M model): look up the accounts mentioned, retrieve relevant cases, then one LLM call
over DATA blocks asking for an answer with ``[case-id]`` citations."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from coach.chat.sessions import StoredMessage
from scripts_gen.prompt_safety import SAFETY_INSTRUCTION, data_block

CHAIN_SYSTEM = (
    "You are a sales coach helping a sales rep. Answer the question in the question block in at most "
    "6 sentences, using only facts from the data blocks. When you use a case, cite its id in square "
    "brackets, e.g. [case-id]. If the data does not answer the question, say that you do not know. "
    + SAFETY_INSTRUCTION
)
NOTHING_FOUND = (
    "I found nothing relevant to that in the knowledge base or the accounts, so I won't guess. "
    "Try naming the account, the industry or the objection you are dealing with."
)
KB_EMPTY = (
    "The knowledge base is empty, so I have nothing to go on yet. Add deal cases on the "
    "Knowledge page (or ask an admin to import the team's cases and CRM accounts)."
)
HISTORY_MESSAGES = 4


def case_passage_text(case: dict[str, Any]) -> str:
    """What the model is shown of a retrieved case, and what its sentences are checked against."""
    return (f"{case.get('title', '')} (outcome: {case.get('outcome', '')}, industry: {case.get('industry', '')})\n"
            f"{case.get('snippet', '')}")


def build_messages(question: str, cases: list[dict[str, Any]], accounts: list[str],
                   history: list[StoredMessage]) -> list[BaseMessage]:
    """System rules, recent turns, then one user message of data blocks + the question.

    ``accounts`` are account facts already rendered as text (AccountContext.to_prompt_text)."""
    msgs: list[BaseMessage] = [SystemMessage(CHAIN_SYSTEM)]
    for m in history[-HISTORY_MESSAGES:]:
        msgs.append(HumanMessage(m.content) if m.role == "user" else AIMessage(m.content))
    blocks = [data_block(a, kind="account") for a in accounts]
    blocks += [data_block(case_passage_text(c), kind="case", ref=c["id"]) for c in cases]
    blocks.append(data_block(question, kind="question"))
    ids = ", ".join(f"[{c['id']}]" for c in cases)
    tail = "Answer the question above using only the data." + (f" Cite the cases you use: {ids}." if ids else "")
    msgs.append(HumanMessage("\n\n".join(blocks + [tail])))
    return msgs
