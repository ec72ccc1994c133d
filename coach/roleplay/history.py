"""Stored attempts (``RoleplaySession`` rows) and each user's progress."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from coach.db.models import RoleplaySession
from coach.errors import NotFoundError


def save_new(db: Any, *, user_id: int | None, persona_id: str, seed: int, state: dict, turns: list) -> str:
    with db.session() as s:
        row = RoleplaySession(user_id=user_id, persona_id=persona_id, seed=seed, state=state, turns=turns)
        s.add(row)
        s.flush()
        return row.id


def load(db: Any, session_id: str) -> RoleplaySession:
    with db.session() as s:
        row = s.get(RoleplaySession, session_id)
        if row is None:
            raise NotFoundError(f"unknown role-play session {session_id!r}")
        s.expunge(row)
        return row


def update(db: Any, session_id: str, *, state: dict, turns: list, status: str = "active", outcome: str | None = None,
           scorecard: dict | None = None) -> None:
    with db.session() as s:
        row = s.get(RoleplaySession, session_id)
        if row is None:
            raise NotFoundError(f"unknown role-play session {session_id!r}")
        row.state = state
        row.turns = turns
        row.status = status
        row.outcome = outcome
        if scorecard is not None:
            row.scorecard = scorecard
            row.score_total = scorecard.get("total")
            row.finished_at = datetime.now(timezone.utc)


def attempts(db: Any, user_id: int | None) -> list[dict]:
    """Finished and active attempts of a user, oldest first."""
    with db.session() as s:
        rows = s.scalars(
            select(RoleplaySession).where(RoleplaySession.user_id == user_id).order_by(RoleplaySession.created_at)
        ).all()
        return [
            {
                "session_id": r.id,
                "persona": r.persona_id,
                "seed": r.seed,
                "status": r.status,
                "outcome": r.outcome,
                "total": r.score_total,
                "turns": len(r.turns or []),
                "criteria": {c["name"]: c["score"] for c in (r.scorecard or {}).get("criteria", [])},
                "checks": {k["text"]: k.get("passed") for c in (r.scorecard or {}).get("criteria", []) for k in c["checks"]},
                "created_at": r.created_at.isoformat() if r.created_at else None,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            }
            for r in rows
        ]


def _checks_progress(xs: list[dict]) -> dict:
    """Per check over the attempts: how often it applied and passed, first and last status
    (not applicable attempts do not count against it)."""
    out: dict[str, dict] = {}
    for x in xs:
        for text, passed in (x.get("checks") or {}).items():
            row = out.setdefault(text, {"applied": 0, "passed": 0, "first": None, "last": None})
            if passed is None:
                continue
            row["applied"] += 1
            row["passed"] += bool(passed)
            if row["first"] is None:
                row["first"] = "passed" if passed else "failed"
            row["last"] = "passed" if passed else "failed"
    return out


def progress(items: list[dict]) -> dict:
    """Per persona and overall: attempts, first/last/best total and the change; per
    criterion the first and last score (only finished attempts count)."""
    done = [a for a in items if a["status"] == "finished" and a["total"] is not None]
    by_persona: dict[str, list[dict]] = {}
    for a in done:
        by_persona.setdefault(a["persona"], []).append(a)

    def summary(xs: list[dict]) -> dict:
        totals = [x["total"] for x in xs]
        crit_first, crit_last = xs[0]["criteria"], xs[-1]["criteria"]
        return {
            "attempts": len(xs),
            "first": totals[0],
            "last": totals[-1],
            "best": max(totals),
            "change": round(totals[-1] - totals[0], 1),
            "criteria": {
                name: {"first": crit_first.get(name), "last": score}
                for name, score in crit_last.items()
            },
            "checks": _checks_progress(xs),
        }

    return {
        "overall": summary(done) if done else None,
        "by_persona": {pid: summary(xs) for pid, xs in sorted(by_persona.items())},
    }
