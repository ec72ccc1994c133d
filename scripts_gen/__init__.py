"""Pre-visit scripts: a grounded plan (:mod:`scripts_gen.plan`), phrased section by
section by the LLM (:mod:`scripts_gen.phrase`), validated (:mod:`scripts_gen.validate`),
as JSON or Markdown (:mod:`scripts_gen.markdown`).

    from scripts_gen import generate_script
    script = generate_script(services, account="Westlake Riverside Hospital", goal="agree a trial")
    script["sections"][2]["citations"]        # case ids behind the value story
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from scripts_gen.phrase import TokenCallback
    from scripts_gen.ports import ScriptServices

from scripts_gen.stream import ScriptEvent, stream_script

log = logging.getLogger(__name__)

__all__ = ["ScriptEvent", "generate_script", "stream_script"]


def generate_script(
    services: "ScriptServices",
    *,
    account: str | None = None,
    notes: str | None = None,
    goal: str | None = None,
    user_id: int | None = None,
    use_llm: bool = True,
    on_token: "TokenCallback | None" = None,
    max_tokens: int | None = None,
) -> dict[str, Any]:
    """A cited pre-visit script (docs/contracts/script.schema.json): the
    last event of :func:`scripts_gen.stream.stream_script` (use that to show the plan at
    once and each section as it is phrased).

    Raises NotFoundError for an unknown account (with close matches) and InputError when
    neither an account nor notes are given. LLM failures never raise: the grounded plan
    is returned with ``llm_ok`` false and the reasons in ``validation.notes``."""
    script: dict[str, Any] = {}
    for event in stream_script(services, account=account, notes=notes, goal=goal, user_id=user_id,
                               use_llm=use_llm, on_token=on_token, max_tokens=max_tokens):
        script = event.script
    return script

