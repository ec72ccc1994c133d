"""What grounded writing needs from the rest of the product, as Protocols.

``scripts_gen`` imports nothing of ``coach``: the composition root (``coach.services.Services``)
satisfies :class:`ScriptServices` structurally, with the chat model wrapped as a
:class:`Writer` (``coach.llm.writer.ModelWriter``). Tests pass fakes of the same shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol


class WriterResult(Protocol):
    """The outcome of one streamed answer, complete once its tokens are consumed."""

    ok: bool
    text: str
    error: str | None
    error_kind: str | None
    first_token_s: float | None
    elapsed_s: float


class WriterStream(Protocol):
    """The answer's tokens; ``result`` is complete when the iteration ends (it never raises)."""

    result: WriterResult

    def __iter__(self) -> Iterator[str]: ...


class Writer(Protocol):
    """The chat model as the writer uses it: a name for the document and a token stream."""

    name: str

    def stream(self, messages: Sequence[tuple[str, str]], *, max_tokens: int | None = None,
               timeout_s: float | None = None, context_tokens: int | None = None) -> WriterStream: ...


class CaseLookup(Protocol):
    """The knowledge base (``retrieval.kb.KnowledgeBase``): hybrid search and cases read back."""

    def search(self, query: str, *, k: int = 5, **filters: Any) -> Sequence[Any]: ...

    def get_case(self, case_id: str) -> Any: ...

    def has_case(self, case_id: str) -> bool: ...


class AccountFacts(Protocol):
    """An account as the writer plans from it (``coach.accounts.service.AccountContext``)."""

    @property
    def name(self) -> str: ...
    @property
    def industry(self) -> str: ...
    @property
    def notes(self) -> str: ...
    @property
    def open_objections(self) -> Sequence[str]: ...
    @property
    def opportunities(self) -> Sequence[Any]: ...
    @property
    def past_calls(self) -> Sequence[Any]: ...


class AccountLookup(Protocol):
    """The CRM (``coach.accounts.service.AccountService``): the account context the writer plans from."""

    def get_account_context(self, name: str, *, viewer_id: int | None = None) -> AccountFacts: ...


class WriterLimits(Protocol):
    """Generation limits (``settings.llm``)."""

    max_new_tokens: int
    timeout_s: float
    context_tokens: int


class WriterSettings(Protocol):
    knowledge_dir: Path
    llm: WriterLimits


class ScriptServices(Protocol):
    """Everything :func:`scripts_gen.generate_script` uses."""

    settings: WriterSettings
    kb: CaseLookup
    accounts: AccountLookup
    #: None when no chat model is configured (the grounded plan is the script)
    writer: Writer | None
