"""Who is the rep, as every surface reads it from a stored analysis: known or not, how
sure, and whether the call page should ask "Which speaker is the rep?" (with each
speaker's first lines). The answer is applied by :mod:`coach.calls.fix_roles`."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

#: below this the page asks the user to confirm the guessed rep
CONFIDENT = 0.75
#: how many of each speaker's first lines the question shows
FIRST_LINES = 3


def roles_state(doc: dict[str, Any] | None) -> dict[str, Any]:
    """``{known, confidence, rep, ask, speakers: [{id, role, talk_s, confidence, evidence,
    first_lines}]}`` of a stored analysis. ``known`` is False when there is no rep or no
    customer; ``ask`` is True when the page should ask which speaker is the rep (unknown
    or below :data:`CONFIDENT`)."""
    speakers = list((doc or {}).get("speakers") or [])
    utts = list((doc or {}).get("utterances") or [])
    out_speakers = []
    for sp in speakers:
        lines = [u["text"] for u in utts if u.get("speaker") == sp["id"] and (u.get("text") or "").strip()]
        out_speakers.append({
            "id": sp["id"],
            "role": sp.get("role") or "unknown",
            "talk_s": sp.get("talk_s") or 0.0,
            "confidence": sp.get("role_confidence"),
            "evidence": sp.get("role_evidence") or "",
            "first_lines": lines[:FIRST_LINES],
        })
    roles = [s["role"] for s in out_speakers]
    known = "rep" in roles and ("customer" in roles or len(out_speakers) == 1)
    rep = next((s for s in out_speakers if s["role"] == "rep"), None)
    confidence = (rep or {}).get("confidence")
    ask = len(out_speakers) >= 2 and (not known or (confidence is not None and confidence < CONFIDENT))
    return {"known": known, "rep": rep["id"] if rep else None, "confidence": confidence, "ask": ask,
            "speakers": out_speakers}
