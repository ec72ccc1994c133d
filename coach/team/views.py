"""Manager views: per-rep metrics and weekly trends, role-play scores, flagged calls
(each flag says which metric crossed which benchmark), practice assignments.

All numbers are computed from stored analyses and role-play sessions; benchmarks are the
published conversation-intelligence figures (docs/contracts/metrics.md).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from statistics import mean
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal, can_manage, filter_owned, require_role
from coach.db.models import Analysis, Call, PracticeAssignment, RoleplaySession, User
from coach.errors import InputError, NotFoundError, PermissionDeniedError
from coach.reports.labels import metric_value, METRICS
from speech.shift_summary import summarize_doc

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
    "talk_ratio": "about 43% (won B2B calls)",
    "longest_monologue_s": "< 150 s",
    "longest_customer_story_s": "longer is better",
    "questions_rep": "11-14 per discovery call",
    "patience_s": "0.6-1.0 s",
    "interactivity": "higher is more conversational",
    "filler_words_per_min": "lower is better",
}
NEGATIVE_SHIFT_FLAG = 2
#: the team view lists at most this many flagged calls, the most serious first
FLAG_CAP = 8


def flag_severity(metrics: dict[str, Any], unrecovered_negative_shifts: int) -> float:
    """How far a call lies outside its benchmarks: the sum of each crossed metric's
    relative distance past its bound, plus 0.5 per unrecovered cooling past the flag
    threshold. Ranks the flagged calls; 0 for a call within every benchmark."""
    total = 0.0
    for name, (low, high, _src) in BENCHMARKS.items():
        v = metrics.get(name)
        if v is None:
            continue
        if high is not None and v > high:
            total += (v - high) / abs(high)
        if low is not None and v < low:
            total += (low - v) / abs(low)
    if unrecovered_negative_shifts >= NEGATIVE_SHIFT_FLAG:
        total += 0.5 * unrecovered_negative_shifts
    return round(total, 3)


def _round(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def call_flags(metrics: dict[str, Any], unrecovered_negative_shifts: int) -> list[str]:
    """Why a call deserves a manager's look; empty when within every benchmark.
    ``unrecovered_negative_shifts``: the customer cooled and did not warm again
    (``speech.shift_summary``; the report's customer-sentiment score counts the same)."""
    reasons: list[str] = []

    for name, (low, high, _src) in BENCHMARKS.items():
        v = metrics.get(name)
        if v is None:
            continue
        label = METRICS[name][0]
        if high is not None and v > high:
            reasons.append(f"{label} {metric_value(name, v)}, above {metric_value(name, high)}")
        if low is not None and v < low:
            reasons.append(f"{label} {metric_value(name, v)}, below {metric_value(name, low)}")
    if unrecovered_negative_shifts >= NEGATIVE_SHIFT_FLAG:
        reasons.append(f"Customer cooled {unrecovered_negative_shifts} times without recovering")
    return reasons


def _team_rows(services: "Services", principal: Principal) -> tuple[list[dict], list[dict], list[dict]]:
    from sqlalchemy import select


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


def _has_rep(doc: dict[str, Any]) -> bool:
    return any(sp.get("role") == "rep" for sp in doc.get("speakers") or [])


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
        neg: list[int] = []
        for c in ucalls:
            if not _has_rep(c["doc"]):
                continue  # nothing is scored while nobody knows who the rep is
            m = c["doc"].get("metrics") or {}
            for k in ("talk_ratio", "questions_rep", "longest_monologue_s", "patience_s"):
                if m.get(k) is not None:
                    metric_vals[k].append(float(m[k]))
            neg.append(summarize_doc(c["doc"]).customer_negative)
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
                "negative_customer_shifts": _round(mean(neg), 1) if neg else None,
                "roleplays": len(scores),
                "roleplay_score": _round(mean(scores), 1) if scores else None,
            }
        )
    weekly: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for c in calls:
        if not _has_rep(c["doc"]):
            continue
        m = c["doc"].get("metrics") or {}
        if c["user_id"] in names and m.get("talk_ratio") is not None:
            weekly[(names[c["user_id"]], _week(c["created_at"]), "talk_ratio")].append(float(m["talk_ratio"]))
        unrecovered = summarize_doc(c["doc"]).customer_negative_unrecovered
        reasons = call_flags(m, unrecovered)
        if reasons:
            flagged.append(
                {
                    "call_id": c["id"],
                    "user": names.get(c["user_id"]),
                    "title": c["title"],
                    "created_at": c["created_at"].isoformat(timespec="seconds"),
                    "reasons": reasons,
                    "severity": flag_severity(m, unrecovered),
                }
            )
    for r in sessions:
        if r["user_id"] in names and r["score"] is not None:
            weekly[(names[r["user_id"]], _week(r["created_at"]), "roleplay_score")].append(float(r["score"]))
    for (user, week, metric), vals in sorted(weekly.items()):
        trends.append({"user": user, "week": week, "metric": metric, "value": _round(mean(vals)), "n": len(vals)})
    flagged.sort(key=lambda f: (-f["severity"], f["created_at"]))
    return {
        "reps": reps,
        "trends": trends,
        "flagged": flagged[:FLAG_CAP],
        "flagged_total": len(flagged),
        "calls_total": len(calls),
        "roleplay_checks": _roleplay_checks(services, principal, names),
        "benchmarks": {k: v[2] for k, v in BENCHMARKS.items()},
    }


def _roleplay_checks(services: "Services", principal: Principal, names: dict[int, str]) -> list[dict[str, Any]]:
    """Per rep and scorecard check: how many finished role-plays passed it, of how many
    that had it (``[{user, check, passed, total}]``), from the stored scorecards."""
    from sqlalchemy import select


    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    with services.db.session() as s:
        rows = s.execute(
            select(RoleplaySession.user_id, RoleplaySession.scorecard).where(
                filter_owned(s, principal, RoleplaySession.user_id), RoleplaySession.scorecard.is_not(None)
            )
        ).all()
    for user_id, card in rows:
        if user_id not in names or not isinstance(card, dict):
            continue
        for crit in card.get("criteria") or []:
            for chk in crit.get("checks") or []:
                key = (names[user_id], str(chk.get("text") or crit.get("name") or ""))
                counts[key][1] += 1
                counts[key][0] += 1 if chk.get("passed") else 0
    return [{"user": u, "check": c, "passed": p, "total": t} for (u, c), (p, t) in sorted(counts.items())]


# -------------------------------------------------------------- practice assignments --
def assign_practice(
    services: "Services", principal: Principal, username: str, persona_id: str, note: str = ""
) -> dict[str, Any]:
    """Managers assign a persona to practise to a rep of their team (admins: anyone)."""
    from sqlalchemy import select


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
