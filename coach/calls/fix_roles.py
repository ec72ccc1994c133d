"""The one-click answer to "Which speaker is the rep?": roles, metrics, shifts and flags
recomputed from the stored transcript (no new transcription;
``speech.analysis.reassign_roles``), the old report dropped and a new one queued.

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
