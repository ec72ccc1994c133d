"""Markdown output of a pre-visit script (``salescoach script --markdown``)."""

from __future__ import annotations

from typing import Any


def script_markdown(script: dict[str, Any]) -> str:
    """The script as Markdown: each section with its sources, then the cited cases and
    what the validator did."""
    title = script.get("account") or "Pre-visit script"
    out = [f"# Pre-visit script: {title}" if script.get("account") else f"# {title}"]
    if script.get("goal"):
        out.append(f"_Goal: {script['goal']}_")
    for w in script.get("warnings") or []:
        out.append(f"> **Note:** {w}")
    for sec in script.get("sections") or []:
        out.append(f"## {sec.get('title', '')}")
        out.append(sec.get("content", "") or "_(empty)_")
        cites = sec.get("citations") or []
        if cites:
            out.append("_Sources: " + ", ".join(f"`{c}`" for c in cites) + "_")
    cases = script.get("citations") or []
    if cases:
        out.append("## Cases cited")
        for c in cases:
            if isinstance(c, dict):
                out.append(f"- `{c.get('id')}`: {c.get('title', '')} ({c.get('industry', '')}, {c.get('customer', '')})")
            else:
                out.append(f"- `{c}`")
    v = script.get("validation") or {}
    if v:
        reasons = ", ".join(f"{k}: {n}" for k, n in (v.get("reasons") or {}).items()) or "none"
        out.append(f"---\n_Validation: {v.get('kept', 0)} of {v.get('claims', 0)} evidence-bearing claims kept, "
                   f"{v.get('dropped', 0)} dropped ({reasons}). Written with {script.get('model', '?')}"
                   + ("" if script.get("llm_ok") else "; the LLM was not used or failed, so the grounded plan is shown")
                   + "._")
    return "\n\n".join(out) + "\n"
