"""Manager views: per-rep metrics and weekly trends, role-play scores, flagged calls
(each flag says which metric crossed which benchmark), practice assignments.

All numbers are computed from stored analyses and role-play sessions; benchmarks are the
published conversation-intelligence figures named in DESIGN.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from statistics import mean
from typing import TYPE_CHECKING, Any

from coach.errors import InputError, NotFoundError, PermissionDeniedError
from coach.permissions import Principal, can_manage, filter_owned, require_role

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)

#: metric -> (low, high, source); a call outside [low, high] is flagged for that metric
BENCHMARKS: dict[str, tuple[float | None, float | None, str]] = {
    "talk_ratio": (None, 0.65, "won B2B calls: about 43% rep talk time; flagged above 65%"),
    "longest_monologue_s": (None, 150.0, "rep monologues over 2.5 min lose the buyer"),
    "questions_rep": (6.0, None, "discovery sweet spot 11-14 questions; flagged under 6"),
    "patience_s": (0.6, None, "top reps pause 0.6-1 s before answering"),
}
#: target band shown next to each metric on the call page
TARGETS: dict[str, str] = {
    "talk_ratio": "~0.43 (won B2B calls)",
    "longest_monologue_s": "< 150 s",
    "longest_customer_story_s": "longer is better",
    "questions_rep": "11-14 per discovery call",
    "patience_s": "0.6-1.0 s",
    "interactivity": "higher is more conversational",
    "filler_words_per_min": "lower is better",
}
NEGATIVE_SHIFT_FLAG = 2


def _round(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def call_flags(metrics: dict[str, Any], negative_customer_shifts: int) -> list[str]:
    """Why a call deserves a manager's look; empty when within every benchmark."""
    reasons: list[str] = []
    for name, (low, high, _src) in BENCHMARKS.items():
        v = metrics.get(name)
        if v is None:
            continue
        if high is not None and v > high:
            reasons.append(f"{name} {v:.2f} > {high:g}")
        if low is not None and v < low:
            reasons.append(f"{name} {v:.2f} < {low:g}")
    if negative_customer_shifts >= NEGATIVE_SHIFT_FLAG:
        reasons.append(f"{negative_customer_shifts} negative customer emotion shifts")
    return reasons


def _negative_customer_shifts(doc: dict[str, Any]) -> int:
    return sum(
        1
        for s in doc.get("emotion_shifts") or []
        if s.get("direction") == "negative" and s.get("role") in ("customer", "unknown")
    )


def _team_rows(services: "Services", principal: Principal) -> tuple[list[dict], list[dict], list[dict]]:
    from sqlalchemy import select

    from coach.db.models import Analysis, Call, RoleplaySession, User

    with services.db.session() as s:
        users = [
            {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role}
            for u in s.scalars(select(User).where(filter_owned(s, principal, User.id)).order_by(User.username))
        ]
        calls = [
            {
                "id": c.id,
                "user_id": c.user_id,
                "title": c.title,
                "created_at": c.created_at,
                "outcome": c.outcome,
                "doc": doc,
            }
            for c, doc in s.execute(
                select(Call, Analysis.document)
                .join(Analysis, Analysis.call_id == Call.id)
                .where(filter_owned(s, principal, Call.user_id), Call.status == "analyzed")
            )
        ]
        sessions = [
            {
                "id": r.id,
                "user_id": r.user_id,
                "persona_id": r.persona_id,
                "score": r.score_total,
                "created_at": r.finished_at or r.created_at,
            }
            for r in s.scalars(
                select(RoleplaySession).where(
                    filter_owned(s, principal, RoleplaySession.user_id), RoleplaySession.score_total.is_not(None)
                )
            )
        ]
    return users, calls, sessions


def _week(dt: Any) -> str:
    y, w, _ = dt.isocalendar()
    return f"{y}-W{w:02d}"


def team_overview(services: "Services", principal: Principal) -> dict[str, Any]:
    """``{reps [...per-rep aggregates], trends [...weekly points], flagged [...calls]}``."""
    require_role(principal, "manager", "admin")
    users, calls, sessions = _team_rows(services, principal)
    by_user_calls: dict[int, list[dict]] = defaultdict(list)
    for c in calls:
        by_user_calls[c["user_id"]].append(c)
    by_user_rp: dict[int, list[dict]] = defaultdict(list)
    for r in sessions:
        by_user_rp[r["user_id"]].append(r)
    names = {u["id"]: u["username"] for u in users}

    reps, trends, flagged = [], [], []
    for u in users:
        if u["role"] != "rep" and not by_user_calls.get(u["id"]) and not by_user_rp.get(u["id"]):
            continue
        ucalls = by_user_calls.get(u["id"], [])
        metric_vals: dict[str, list[float]] = defaultdict(list)
        neg = 0
        for c in ucalls:
            m = c["doc"].get("metrics") or {}
            for k in ("talk_ratio", "questions_rep", "longest_monologue_s", "patience_s"):
                if m.get(k) is not None:
                    metric_vals[k].append(float(m[k]))
            neg += _negative_customer_shifts(c["doc"])
        scores = [r["score"] for r in by_user_rp.get(u["id"], []) if r["score"] is not None]
        reps.append(
            {
                "user": u["username"],
                "display_name": u["display_name"],
                "calls": len(ucalls),
                "talk_ratio": _round(mean(metric_vals["talk_ratio"])) if metric_vals["talk_ratio"] else None,
                "questions_rep": _round(mean(metric_vals["questions_rep"]), 1) if metric_vals["questions_rep"] else None,
                "longest_monologue_s": _round(mean(metric_vals["longest_monologue_s"]), 1)
                if metric_vals["longest_monologue_s"]
                else None,
                "negative_customer_shifts": neg,
                "roleplays": len(scores),
                "roleplay_score": _round(mean(scores), 1) if scores else None,
            }
        )
    weekly: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for c in calls:
        m = c["doc"].get("metrics") or {}
        if c["user_id"] in names and m.get("talk_ratio") is not None:
            weekly[(names[c["user_id"]], _week(c["created_at"]), "talk_ratio")].append(float(m["talk_ratio"]))
        neg = _negative_customer_shifts(c["doc"])
        reasons = call_flags(m, neg)
        if reasons:
            flagged.append(
                {
                    "call_id": c["id"],
                    "user": names.get(c["user_id"]),
                    "title": c["title"],
                    "created_at": c["created_at"].isoformat(),
                    "reasons": reasons,
                }
            )
    for r in sessions:
        if r["user_id"] in names and r["score"] is not None:
            weekly[(names[r["user_id"]], _week(r["created_at"]), "roleplay_score")].append(float(r["score"]))
    for (user, week, metric), vals in sorted(weekly.items()):
        trends.append({"user": user, "week": week, "metric": metric, "value": _round(mean(vals)), "n": len(vals)})
    flagged.sort(key=lambda f: f["created_at"], reverse=True)
    return {"reps": reps, "trends": trends, "flagged": flagged, "benchmarks": {k: v[2] for k, v in BENCHMARKS.items()}}


# -------------------------------------------------------------- practice assignments --
def assign_practice(
    services: "Services", principal: Principal, username: str, persona_id: str, note: str = ""
) -> dict[str, Any]:
    """Managers assign a persona to practise to a rep of their team (admins: anyone)."""
    from sqlalchemy import select

    from coach.db.models import PracticeAssignment, User

    require_role(principal, "manager", "admin")
    persona_id = (persona_id or "").strip()
    if not persona_id:
        raise InputError("choose a persona to practise")
    try:
        from coach.roleplay.personas import get_persona

        get_persona(services.settings.knowledge_dir, persona_id)  # NotFoundError lists the known ids
    except ImportError:
        log.warning("role-play personas unavailable; assigning %s unchecked", persona_id)
    with services.db.session() as s:
        user = s.scalars(select(User).where(User.username == (username or "").strip())).first()
        if user is None or not can_manage(s, principal, user.id):
            # same answer for unknown users and users outside the manager's team
            raise NotFoundError(f"user {username} not found in your team")
        a = PracticeAssignment(user_id=user.id, assigned_by=principal.id, persona_id=persona_id, note=(note or "")[:2000])
        s.add(a)
        s.flush()
        return _assignment_dict(a, user.username, principal.username)


def _assignment_dict(a: Any, user: str | None, by: str | None) -> dict[str, Any]:
    return {
        "id": a.id,
        "user": user,
        "assigned_by": by,
        "persona_id": a.persona_id,
        "note": a.note,
        "status": a.status,
        "created_at": a.created_at.isoformat() if a.created_at else None,
    }


def list_assignments(services: "Services", principal: Principal, *, status: str | None = None) -> list[dict[str, Any]]:
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from coach.db.models import PracticeAssignment, User

    by = aliased(User)
    with services.db.session() as s:
        q = (
            select(PracticeAssignment, User.username, by.username)
            .join(User, PracticeAssignment.user_id == User.id)
            .outerjoin(by, PracticeAssignment.assigned_by == by.id)
            .where(filter_owned(s, principal, PracticeAssignment.user_id))
            .order_by(PracticeAssignment.created_at.desc())
        )
        if status:
            q = q.where(PracticeAssignment.status == status)
        return [_assignment_dict(a, u, b) for a, u, b in s.execute(q)]


def complete_assignments(services: "Services", user_id: int, persona_id: str) -> int:
    """Mark the user's open assignments of ``persona_id`` done (after a finished role-play)."""
    from sqlalchemy import update

    from coach.db.models import PracticeAssignment

    with services.db.session() as s:
        res = s.execute(
            update(PracticeAssignment)
            .where(
                PracticeAssignment.user_id == user_id,
                PracticeAssignment.persona_id == persona_id,
                PracticeAssignment.status == "open",
            )
            .values(status="done")
        )
        return int(res.rowcount or 0)


def set_assignment_status(services: "Services", principal: Principal, assignment_id: int, status: str) -> dict[str, Any]:
    from coach.db.models import PracticeAssignment, User

    if status not in ("open", "done"):
        raise InputError(f"unknown status {status!r}", detail="open or done")
    with services.db.session() as s:
        a = s.get(PracticeAssignment, assignment_id)
        if a is None or not (a.user_id == principal.id or can_manage(s, principal, a.user_id)):
            raise NotFoundError(f"assignment {assignment_id} not found")
        if a.user_id != principal.id and not can_manage(s, principal, a.user_id):
            raise PermissionDeniedError("only the rep or their manager can change an assignment")
        a.status = status
        user = s.get(User, a.user_id)
        by = s.get(User, a.assigned_by) if a.assigned_by else None
        return _assignment_dict(a, user.username if user else None, by.username if by else None)
