"""Team benchmarks: medians of the conversation metrics over stored analysed calls,
for all calls and for won calls, next to the published defaults (docs/contracts/metrics.md)."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from speech.shift_summary import summarize_doc

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database

#: published conversation-intelligence figures for won B2B discovery calls
PUBLISHED = {
    "talk_ratio": {"value": 0.43, "source": "published benchmark for won B2B calls: ~43% rep talk time"},
    "questions_rep": {"value": [11, 14], "source": "published sweet spot: 11-14 questions per discovery call"},
}
METRICS = ("talk_ratio", "questions_rep", "longest_monologue_s", "patience_s", "interactivity")
#: fewer won calls than this and the team figure is reported but flagged as thin
MIN_CALLS = 5


def _median(values: list[float]) -> float | None:
    return round(float(statistics.median(values)), 3) if values else None


def team_benchmarks(db: "Database", *, visible_user_ids: set[int] | None = None) -> dict[str, Any]:
    """{"groups": {"all": {...}, "won": {...}}, "published": ..., "min_calls": N, "note": ...}.
    Each group: calls, median of each metric, mean negative shifts per call."""
    from sqlalchemy import select

    from coach.db.models import Analysis, Call

    with db.session() as s:
        q = select(Call, Analysis.document).join(Analysis, Analysis.call_id == Call.id).where(Call.status == "analyzed")
        if visible_user_ids is not None:
            q = q.where(Call.user_id.in_(sorted(visible_user_ids)))
        rows = s.execute(q).all()
    groups: dict[str, dict[str, Any]] = {}
    for label, keep in (("all", lambda c: True), ("won", lambda c: c.outcome == "won"), ("lost", lambda c: c.outcome == "lost")):
        sel = [(c, d or {}) for c, d in rows if keep(c)]
        metrics: dict[str, Any] = {}
        for name in METRICS:
            vals = [float(v) for _, d in sel if isinstance(v := (d.get("metrics") or {}).get(name), (int, float))]
            metrics[name] = _median(vals)
        shifts = [summarize_doc(d).customer_negative for _, d in sel]
        groups[label] = {
            "calls": len(sel),
            "median": metrics,
            "negative_shifts_per_call": round(sum(shifts) / len(shifts), 2) if shifts else None,
            "call_ids": [c.id for c, _ in sel][:50],
        }
    won = groups["won"]["calls"]
    note = (f"team figures from {groups['all']['calls']} analysed calls ({won} won)"
            + ("" if won >= MIN_CALLS else f"; fewer than {MIN_CALLS} won calls, so compare with the published figures"))
    return {"groups": groups, "published": PUBLISHED, "min_calls": MIN_CALLS, "note": note}
