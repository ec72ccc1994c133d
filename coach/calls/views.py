"""Permission-checked reads and writes on calls, jobs, reports and comments.

The REST API and the web UI both go through these functions, so a rep sees exactly the
same calls in the browser as through ``/api/v1`` (rules in :mod:`coach.auth.permissions`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal, ensure_visible, filter_owned
from coach.calls.jobs import get_job as _get, latest_job_for_call
from coach.calls.roles import roles_state
from coach.calls.store import call_result_fields
from coach.db.models import Account, Analysis, Call, Report, ReportComment, User
from coach.errors import InputError, NotFoundError
from speech.shift_summary import ShiftSummary, key_shifts, summarize_doc

if TYPE_CHECKING:  # pragma: no cover
    from coach.calls.jobs import JobQueue
    from coach.services import Services

log = logging.getLogger(__name__)

CALL_STATUSES = ("pending", "analyzing", "analyzed", "failed")
TRANSCRIPT_SUFFIXES = {".txt", ".vtt", ".srt", ".json"}


def shown_shifts(analysis: dict[str, Any], show_all: bool = False) -> list[dict]:
    """The shifts a page marks: the customer's strongest few by default, every shift
    (the rep's included) when the user asks; counted as on every other surface
    (``speech.shift_summary``)."""
    every = analysis.get("emotion_shifts") or []
    return list(every) if show_all else key_shifts(every)


def shift_summary(analysis: dict[str, Any]) -> ShiftSummary:
    """The call's shift counts as the report, team view and flags read them."""
    return summarize_doc(analysis)


def _iso(dt: Any) -> str | None:
    return dt.isoformat() if dt is not None else None


def call_summary(call: Any, username: str | None, account: str | None) -> dict[str, Any]:
    return {
        "id": call.id,
        "title": call.title,
        "status": call.status,
        "error": call.error,
        "user": username,
        "user_id": call.user_id,
        "account": account,
        "original_filename": call.original_filename,
        "kind": "transcript" if Path(call.stored_path or "").suffix.lower() in TRANSCRIPT_SUFFIXES else "audio",
        **call_result_fields(call),
    }


def _call_query():
    from sqlalchemy import select


    return (
        select(Call, User.username, Account.name)
        .outerjoin(User, Call.user_id == User.id)
        .outerjoin(Account, Call.account_id == Account.id)
    )


def list_calls(
    services: "Services",
    principal: Principal,
    *,
    status: str | None = None,
    user: str | None = None,
    account: str | None = None,
    flagged: bool | None = None,
    query: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Calls the principal may see, newest first, with optional filters."""
    from sqlalchemy import func


    if status and status not in CALL_STATUSES:
        raise InputError(f"unknown call status {status!r}", detail=f"one of {', '.join(CALL_STATUSES)}")
    limit = max(1, min(int(limit), 500))
    with services.db.session() as s:
        q = _call_query().where(filter_owned(s, principal, Call.user_id))
        if status:
            q = q.where(Call.status == status)
        if user:
            q = q.where(User.username == user)
        if account:
            q = q.where(func.lower(Account.name) == account.strip().lower())
        if flagged is not None:
            q = q.where((Call.flagged > 0) if flagged else (Call.flagged == 0))
        if query:
            like = f"%{query.strip().lower()}%"
            q = q.where(func.lower(Call.title).like(like) | func.lower(Call.original_filename).like(like))
        q = q.order_by(Call.created_at.desc()).offset(max(0, offset)).limit(limit)
        return [call_summary(c, u, a) for c, u, a in s.execute(q)]


def get_call(services: "Services", principal: Principal, call_id: str) -> dict[str, Any]:
    """One call's metadata; 404 when missing *or* not visible to the principal."""
    with services.db.session() as s:
        row = s.execute(_call_query().where(Call.id == call_id)).first()
        if row is None:
            raise NotFoundError(f"call {call_id} not found")
        call, username, account = row
        ensure_visible(s, principal, call.user_id, "call", call_id)
        return call_summary(call, username, account)


def get_call_detail(services: "Services", principal: Principal, call_id: str) -> dict[str, Any]:
    """Metadata, the ``CallAnalysis`` document (None until analysed) and the latest job."""
    from sqlalchemy import select


    from coach.auth import audit

    detail = get_call(services, principal, call_id)
    audit.record(services.db, "open_call", username=principal.username, target=call_id)
    with services.db.session() as s:
        doc = s.scalars(select(Analysis.document).where(Analysis.call_id == call_id)).first()
    detail["analysis"] = doc
    detail["job"] = latest_job_for_call(services.db, call_id)
    return detail


def call_file(services: "Services", principal: Principal, call_id: str) -> Path:
    """The stored original upload of a visible call."""
    get_call(services, principal, call_id)
    with services.db.session() as s:
        stored = s.get(Call, call_id).stored_path
    path = services.settings.stored_absolute(stored) if stored else None
    if path is None or not path.exists():
        raise NotFoundError(f"the original file of call {call_id} is missing from the uploads store")
    from coach.auth import audit

    audit.record(services.db, "download", username=principal.username, target=call_id, detail=path.name)
    return path


# ------------------------------------------------------------------------- reports --
def _stored_report(services: "Services", call_id: str) -> dict[str, Any] | None:
    from sqlalchemy import select


    with services.db.session() as s:
        rep = s.scalars(
            select(Report).where(Report.call_id == call_id, Report.kind == "report").order_by(Report.created_at.desc())
        ).first()
        if rep is None:
            return None
        return {"document": rep.document, "model": rep.model, "created_at": _iso(rep.created_at)}


def get_report(services: "Services", jobs: "JobQueue", principal: Principal, call_id: str) -> dict[str, Any]:
    """``{status: ready|pending|failed, report, job}``. Queues the report when there is none.

    Raises :class:`InputError` (409-style 422) if the call is not analysed yet.
    """
    call = get_call(services, principal, call_id)
    if call["status"] == "analyzed":
        _require_known_roles(services, call_id)
    stored = _stored_report(services, call_id)
    if stored is not None:
        return {"call_id": call_id, "status": "ready", "report": stored["document"], "model": stored["model"], "job": None}
    if call["status"] != "analyzed":
        raise InputError(
            f"call {call_id} is not analysed yet (status {call['status']})",
            detail="wait for its analysis job to finish",
        )
    job = latest_job_for_call(services.db, call_id, kind="report")
    if job is None or job["status"] == "done":
        # done without a stored report: the generator did not persist it; make a fresh one
        job = jobs.get(jobs.submit("report", call_id=call_id))
    status = "failed" if job["status"] == "failed" else "pending"
    return {"call_id": call_id, "status": status, "report": None, "model": None, "job": job}


def _require_known_roles(services: "Services", call_id: str) -> None:
    """No report (and so no score) while nobody knows who the rep is."""
    from sqlalchemy import select


    with services.db.session() as s:
        doc = s.scalars(select(Analysis.document).where(Analysis.call_id == call_id)).first()
    if doc is not None and not roles_state(doc)["known"]:
        raise InputError(
            f"call {call_id} has no report while its roles are unknown",
            detail=f"say which speaker is the rep first: POST /api/v1/calls/{call_id}/roles {{\"rep_speaker\": \"S1\"}} "
                   "or answer 'Which speaker is the rep?' on the call page",
        )


# ------------------------------------------------------------------------ comments --
def list_comments(services: "Services", principal: Principal, call_id: str) -> list[dict[str, Any]]:
    from sqlalchemy import select


    get_call(services, principal, call_id)
    with services.db.session() as s:
        rows = s.execute(
            select(ReportComment, User.username)
            .join(User, ReportComment.author_id == User.id)
            .where(ReportComment.call_id == call_id)
            .order_by(ReportComment.created_at)
        )
        return [
            {"id": c.id, "author": name, "text": c.text, "created_at": _iso(c.created_at)} for c, name in rows
        ]


def add_comment(services: "Services", principal: Principal, call_id: str, text: str) -> dict[str, Any]:
    """Anyone who can see the call may comment on its report (manager review, rep reply)."""
    text = (text or "").strip()
    if not text:
        raise InputError("the comment is empty")
    if len(text) > 5000:
        raise InputError("the comment is longer than 5000 characters")
    get_call(services, principal, call_id)
    with services.db.session() as s:
        if services.settings.redact_stored_transcripts:
            from coach.privacy.pii import redact

            text = redact(text).text
        c = ReportComment(call_id=call_id, author_id=principal.id, text=text)
        s.add(c)
        s.flush()
        return {"id": c.id, "author": principal.username, "text": c.text, "created_at": _iso(c.created_at)}


# ---------------------------------------------------------------------------- jobs --
def get_job(services: "Services", principal: Principal, job_id: str) -> dict[str, Any]:
    """A job, visible when its call is (jobs without a call: admins only)."""
    job = _get(services.db, job_id)
    with services.db.session() as s:
        owner = None
        if job["call_id"]:
            call = s.get(Call, job["call_id"])
            owner = call.user_id if call else None
        ensure_visible(s, principal, owner, "job", job_id)
    return job


def reanalyze(
    services: "Services",
    jobs: "JobQueue",
    principal: Principal,
    call_id: str,
    *,
    rep_speaker: str | None = None,
    num_speakers: int | None = None,
) -> dict[str, Any]:
    """Analyse a visible call again from its kept original, e.g. naming the rep's speaker
    when role detection could not tell rep from customer. Returns the new job."""
    call = get_call(services, principal, call_id)
    if call["status"] in ("pending", "analyzing"):
        raise InputError(f"call {call_id} is being analysed already", detail="wait for its job to finish")
    if num_speakers is not None and not 1 <= num_speakers <= services.settings.speech.max_speakers:
        raise InputError(f"speakers must be between 1 and {services.settings.speech.max_speakers}")
    params: dict[str, Any] = {}
    if rep_speaker:
        params["rep_speaker"] = rep_speaker.strip()
    if num_speakers:
        params["num_speakers"] = int(num_speakers)
    from sqlalchemy import update


    with services.db.session() as s:  # compare-and-set: of two concurrent requests, one queues a job
        claimed = s.execute(
            update(Call).where(Call.id == call_id, Call.status.notin_(("pending", "analyzing"))).values(status="pending")
        ).rowcount
    if claimed != 1:
        raise InputError(f"call {call_id} is being analysed already", detail="wait for its job to finish")
    job_id = jobs.submit("analyze", call_id=call_id, params=params)
    log.info("re-analysis of %s by %s with %s (previous job %s)", call_id, principal.username, params,
             (latest_job_for_call(services.db, call_id) or {}).get("id"))
    return jobs.get(job_id)


def retry_job(services: "Services", jobs: "JobQueue", principal: Principal, job_id: str) -> dict[str, Any]:
    get_job(services, principal, job_id)
    return jobs.retry(job_id)
