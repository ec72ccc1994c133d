"""Who is the rep: the question the call page asks when roles are unknown or doubtful,
and the one-click answer that recomputes roles, metrics, shifts and the report from the
stored transcript (no new transcription; ``speech.analysis.reassign_roles``).

The REST API (``POST /api/v1/calls/{id}/roles``) and the web page both call
:func:`set_rep_speaker`, so a fix made in either shows everywhere.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal
from coach.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from coach.calls.jobs import JobQueue
    from coach.services import Services

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


def set_rep_speaker(
    services: "Services", jobs: "JobQueue | None", principal: Principal, call_id: str, rep_speaker: str
) -> dict[str, Any]:
    """Make ``rep_speaker`` the rep of a visible, analysed call: roles, metrics, shifts
    and flags are recomputed from the stored transcript and saved; the old report is
    dropped and a new one queued (when ``jobs`` is given). Returns the call detail."""
    from sqlalchemy import delete

    from coach.calls import views
    from coach.calls.store import CallStore
    from coach.db.models import Report
    from speech.analysis import reassign_roles

    if not (rep_speaker or "").strip():
        raise InputError("choose which speaker is the rep")
    call = views.get_call(services, principal, call_id)
    if call["status"] != "analyzed":
        raise InputError(f"call {call_id} is not analysed yet (status {call['status']})",
                         detail="wait for its analysis to finish")
    store = CallStore(services.db, services.settings)
    analysis = store.get_analysis(call_id)
    fixed = reassign_roles(analysis, rep_speaker, phrases_file=services.settings.speech.phrases_file or None)
    store.save_analysis(call_id, fixed)
    with services.db.session() as s:
        s.execute(delete(Report).where(Report.call_id == call_id, Report.kind == "report"))
    from coach.auth import audit

    audit.record(services.db, "set_roles", username=principal.username, target=call_id, detail=rep_speaker)
    log.info("%s set the rep of call %s to %s (%.3f s)", principal.username, call_id, rep_speaker,
             fixed.timings.get("roles", 0.0))
    if jobs is not None and services.settings.server.report_after_analysis:
        jobs.submit("report", call_id=call_id)
    return views.get_call_detail(services, principal, call_id)
