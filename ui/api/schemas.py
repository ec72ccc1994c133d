"""Response models of the REST API (so the OpenAPI document describes every response).

Calls, jobs, reports and scripts come from their feature rooms (``coach.calls.schemas``,
``coach.reports.schemas``, ``coach.scripts.schemas``); the smaller shapes are here. Every
model keeps unknown keys (``extra="allow"``) and routes use ``response_model_exclude_unset``,
so a response carries exactly what the view returned, now described and checked.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from coach.calls.schemas import (CallDetail, CallList, Comment, CommentList, Job, JobAccepted, ReportState,
                                 UploadAccepted)
from coach.scripts.schemas import Script

__all__ = [
    "Assignment", "AssignmentList", "CallDetail", "CallList", "CallRoles", "Case", "CaseHit", "CaseSearch",
    "ChatAnswer", "Comment", "CommentList", "Health", "Job", "JobAccepted", "KnowledgeUpload", "PersonaList",
    "QueueStatus", "Readiness", "ReportState", "RoleplayFinished", "RoleplaySession", "RoleplaySessionList",
    "RoleplayStarted", "RoleplayTurn", "Script", "TeamOverview", "UploadAccepted", "User", "UserList",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---- users -----------------------------------------------------------------------
class User(_Open):
    id: int
    username: str
    role: Literal["rep", "manager", "admin"]
    team_id: int | None = None
    display_name: str | None = None


class UserList(_Open):
    items: list[User]


# ---- calls -----------------------------------------------------------------------
class SpeakerRole(_Open):
    id: str
    role: str
    talk_s: float = 0.0
    confidence: float | None = None
    evidence: str = ""
    first_lines: list[str] = []


class RolesState(_Open):
    """Who is the rep: ``ask`` is true when the page should ask the user."""

    known: bool
    ask: bool = False
    rep: str | None = None
    confidence: float | None = None
    speakers: list[SpeakerRole] = []


class CallRoles(CallDetail):
    roles: RolesState


# ---- knowledge -------------------------------------------------------------------
class CaseHit(_Open):
    id: str
    title: str = ""
    outcome: str = ""
    industry: str = ""
    product: str = ""
    score: float = 0.0


class CaseSearch(_Open):
    query: str
    items: list[CaseHit]
    count: int


class Case(_Open):
    """A deal case with its full text."""

    id: str
    title: str = ""
    outcome: str = ""
    industry: str = ""
    product: str = ""
    body: str = ""


class KnowledgeUpload(_Open):
    kind: str
    saved: list[str] = []
    report: Any = None
    errors: list[Any] = []


# ---- chat ------------------------------------------------------------------------
class ChatAnswer(_Open):
    session_id: str
    text: str
    citations: list[Any] = []
    notes: list[str] = []
    model: str = ""
    ok: bool = True


# ---- role-play -------------------------------------------------------------------
class PersonaList(_Open):
    """Buyer personas, public part only (the agenda stays hidden)."""

    items: list[dict[str, Any]]


class RoleplayStarted(_Open):
    session_id: str
    persona_id: str
    #: the buyer's opening line
    buyer: Any


class RoleplayTurn(_Open):
    session_id: str
    rep_text: str = ""
    #: the buyer's answer
    buyer: Any


class RoleplayFinished(_Open):
    session_id: str
    scorecard: dict[str, Any] | None = None
    outcome: str | None = None


class RoleplaySession(_Open):
    id: str
    user_id: int | None = None
    persona_id: str
    seed: int = 0
    status: str
    turns: list[dict[str, Any]] = []
    outcome: str | None = None
    score_total: float | None = None
    scorecard: dict[str, Any] | None = None
    created_at: str | None = None
    finished_at: str | None = None


class RoleplaySessionList(_Open):
    items: list[RoleplaySession]


# ---- team ------------------------------------------------------------------------
class TeamOverview(_Open):
    reps: list[dict[str, Any]] = []
    trends: list[dict[str, Any]] = []
    flagged: list[dict[str, Any]] = []
    flagged_total: int = 0
    calls_total: int = 0
    roleplay_checks: list[dict[str, Any]] = []
    benchmarks: dict[str, Any] = {}


class Assignment(_Open):
    id: int
    user: str | None = None
    assigned_by: str | None = None
    persona_id: str
    note: str | None = None
    status: str
    created_at: str | None = None


class AssignmentList(_Open):
    items: list[Assignment]


# ---- service ---------------------------------------------------------------------
class Health(_Open):
    status: str


class Readiness(_Open):
    status: Literal["ready", "not ready"]
    checks: dict[str, dict[str, Any]]


class QueueStatus(_Open):
    """Depth of each job queue, workers alive and the oldest waiting job."""
