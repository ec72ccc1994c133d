"""Token counting and the context budget.

Counting: a model that exposes ``count_tokens(text) -> int`` (the local provider: its own
tokenizer, exact) is asked; otherwise :func:`estimate_tokens` is used: ASCII characters / 4
plus one token per non-ASCII character (CJK text costs at least a token per character in
every BPE vocabulary we ship; English averages ~4 characters per token). The estimate is
deliberately on the high side so a remote model's context is not overrun. (tiktoken is not
used: it downloads its vocabularies at run time, and the remote model may not be OpenAI's.)

Fitting: :func:`fit_to_budget` keeps ``prompt + reserve <= context_tokens`` by trimming
the longest DATA block (see :mod:`scripts_gen.prompt_safety`), never the instructions; only when
no data is left to trim does it drop the oldest conversation turns, and as a last resort
it shortens the longest non-system message. Every cut is reported in ``BudgetFit.notes``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage, SystemMessage

from coach.errors import ConfigurationError
from scripts_gen.prompt_safety import find_data_blocks

log = logging.getLogger(__name__)

#: chat-template tokens per message (role markers, separators; ChatML uses ~5)
MESSAGE_OVERHEAD = 6
#: tokens of the assistant turn header the template appends before the answer
REPLY_OVERHEAD = 8
#: a data block is never cut below this many characters while others can still be cut
MIN_BLOCK_CHARS = 200
TRIM_NOTE = "\n[... {cut} of {total} characters trimmed to fit the model's context]"

TokenCounter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    """Model-independent token estimate: ceil(ascii_chars / 4) + non_ascii_chars."""
    if not text:
        return 0
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return math.ceil((len(text) - non_ascii) / 4) + non_ascii


def token_counter(model: Any = None) -> TokenCounter:
    """The best counter for ``model``: its ``count_tokens`` if it has one, else the estimate."""
    fn = getattr(model, "count_tokens", None) if model is not None else None
    return fn if callable(fn) else estimate_tokens


def message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)


def count_message_tokens(messages: list[BaseMessage], counter: TokenCounter = estimate_tokens) -> int:
    return sum(counter(message_text(m)) + MESSAGE_OVERHEAD for m in messages) + REPLY_OVERHEAD


@dataclass
class BudgetFit:
    messages: list[BaseMessage]
    tokens_before: int
    tokens_after: int
    limit: int
    trimmed: bool = False
    #: human-readable notes on what was cut (shown to the user with the answer)
    notes: list[str] = field(default_factory=list)


def fit_to_budget(
    messages: list[BaseMessage],
    context_tokens: int,
    reserve: int,
    *,
    counter: TokenCounter | None = None,
) -> BudgetFit:
    """Trim ``messages`` so that their tokens + ``reserve`` (the answer) fit the context.

    Raises ConfigurationError when ``reserve`` alone does not fit ``context_tokens``."""
    count = counter or estimate_tokens
    limit = context_tokens - reserve
    if limit <= MESSAGE_OVERHEAD * max(1, len(messages)) + REPLY_OVERHEAD:
        raise ConfigurationError(
            f"the LLM context of {context_tokens} tokens leaves no room for a prompt "
            f"after reserving {reserve} tokens for the answer",
            detail="raise llm.context_tokens or lower llm.max_new_tokens",
        )
    msgs = [m.model_copy() for m in messages]
    texts = [message_text(m) for m in msgs]
    before = sum(count(t) + MESSAGE_OVERHEAD for t in texts) + REPLY_OVERHEAD
    fit = BudgetFit(msgs, before, before, limit)
    total = before
    guard = 0
    while total > limit and guard < 200:
        guard += 1
        excess = total - limit
        if _trim_longest_block(texts, excess, count, fit):
            pass
        elif _drop_oldest_turn(msgs, texts, fit):
            pass
        elif not _shorten_longest_message(msgs, texts, excess, count, fit):
            break
        total = sum(count(t) + MESSAGE_OVERHEAD for t in texts) + REPLY_OVERHEAD
    for i, m in enumerate(msgs):
        if message_text(m) != texts[i]:
            msgs[i] = m.model_copy(update={"content": texts[i]})
    fit.messages = msgs
    fit.tokens_after = total
    if fit.trimmed:
        fit.notes.insert(0, f"the prompt ({before} tokens) exceeded the model's context "
                            f"({context_tokens} tokens, {reserve} reserved for the answer) and was trimmed")
        log.info("prompt trimmed from %d to %d tokens (limit %d)", before, total, limit)
    return fit


def _trim_longest_block(texts: list[str], excess: int, count: TokenCounter, fit: BudgetFit) -> bool:
    best: tuple[int, int, int, int] | None = None  # (chars, msg index, start, end)
    for i, text in enumerate(texts):
        for start, end in find_data_blocks(text):
            body = text[start:end]
            if len(_untrimmed(body)) > MIN_BLOCK_CHARS and (best is None or end - start > best[0]):
                best = (end - start, i, start, end)
    if best is None:
        return False
    _, i, start, end = best
    body = _untrimmed(texts[i][start:end])
    original_total = _original_len(texts[i][start:end])
    body_tokens = max(1, count(body))
    keep_ratio = max(0.0, (body_tokens - excess - 24) / body_tokens)
    keep = max(MIN_BLOCK_CHARS, int(len(body) * keep_ratio))
    keep = min(keep, len(body) - 1)
    new_body = body[:keep].rstrip() + TRIM_NOTE.format(cut=original_total - keep, total=original_total)
    texts[i] = texts[i][:start] + new_body + texts[i][end:]
    header = texts[i][:start].rsplit("\n", 1)[0].rsplit("<<<DATA", 1)[-1].strip(" >")
    fit.trimmed = True
    fit.notes.append(f"data block {header or '(unnamed)'} cut to {keep} of {original_total} characters")
    return True


def _untrimmed(body: str) -> str:
    idx = body.rfind("\n[... ")
    return body[:idx] if idx >= 0 and body.endswith("context]") else body


def _original_len(body: str) -> int:
    idx = body.rfind("\n[... ")
    if idx >= 0 and body.endswith("context]"):
        try:
            return int(body[idx:].split(" of ")[1].split(" ")[0])
        except (IndexError, ValueError):
            pass
    return len(body)


def _drop_oldest_turn(msgs: list[BaseMessage], texts: list[str], fit: BudgetFit) -> bool:
    """Drop the oldest non-system message that is not the last one (conversation history)."""
    for i, m in enumerate(msgs[:-1]):
        if not isinstance(m, SystemMessage):
            del msgs[i]
            del texts[i]
            fit.trimmed = True
            fit.notes.append("the oldest conversation turn was left out")
            return True
    return False


def _shorten_longest_message(
    msgs: list[BaseMessage], texts: list[str], excess: int, count: TokenCounter, fit: BudgetFit
) -> bool:
    candidates = [j for j, m in enumerate(msgs) if not isinstance(m, SystemMessage)]
    if not candidates:
        return False
    i = max(candidates, key=lambda j: len(texts[j]))
    text = texts[i]
    tokens = max(1, count(text))
    keep = int(len(text) * max(0.0, (tokens - excess - 24) / tokens))
    if keep <= 0 or keep >= len(text):
        return False
    texts[i] = text[:keep].rstrip() + TRIM_NOTE.format(cut=len(text) - keep, total=len(text))
    fit.trimmed = True
    fit.notes.append(f"a {msgs[i].type} message was cut to {keep} of {len(text)} characters")
    return True
