"""Plots for the web app (matplotlib, rendered by ``gr.Plot``).

``emotion_timeline`` draws each speaker's sentiment over the call, with the customer's
strongest emotion shifts (``coach.calls.views.shown_shifts``, the same ones the transcript
marks by default) marked where they happened (down-triangle = the speaker cooled,
up-triangle = warmed) and labelled with its utterance id, so the marker can be found in
the transcript below the plot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coach.calls.views import shown_shifts

SHIFT_COLORS = {"negative": "#c0392b", "positive": "#1e8449"}


def _figure(width: float = 9.0, height: float = 3.4) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def emotion_timeline(analysis: dict[str, Any]) -> Any:
    """Sentiment per speaker over time with the shifts marked; a Figure."""
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    utts = analysis.get("utterances") or []
    roles = {s.get("id"): s.get("role", "unknown") for s in analysis.get("speakers") or []}
    by_speaker: dict[str, list[tuple[float, float]]] = {}
    sent_at: dict[str, float] = {}
    for u in utts:
        if u.get("sentiment") is None:
            continue
        t = (float(u.get("start", 0.0)) + float(u.get("end", 0.0))) / 2
        by_speaker.setdefault(u.get("speaker", "?"), []).append((t, float(u["sentiment"])))
        sent_at[u.get("id")] = float(u["sentiment"])
    for speaker, pts in sorted(by_speaker.items()):
        xs, ys = zip(*pts)
        role = roles.get(speaker, "unknown")
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, label=f"{speaker} ({role})",
                linestyle="-" if role != "rep" else "--")
    starts = {u.get("id"): float(u.get("start", 0.0)) for u in utts}
    shown = shown_shifts(analysis)
    for shift in shown:
        direction = shift.get("direction", "negative")
        x = float(shift.get("time", starts.get(shift.get("utterance_id"), 0.0)))
        y = sent_at.get(shift.get("utterance_id"), 0.0)
        color = SHIFT_COLORS.get(direction, "#555")
        ax.axvline(x, color=color, alpha=0.25, linewidth=1)
        ax.scatter([x], [y], marker="v" if direction == "negative" else "^", s=90, color=color, zorder=5,
                   edgecolors="black", linewidths=0.6)
        ax.annotate(shift.get("utterance_id", ""), (x, y), textcoords="offset points", xytext=(4, 6),
                    fontsize=7, color=color)
    ax.axhline(0.0, color="#999", linewidth=0.6)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("sentiment")
    n = len(shown)
    ax.set_title(f"Emotion timeline - the customer's {n} strongest shift{'s' if n != 1 else ''} marked", fontsize=10)
    if by_speaker:
        ax.legend(loc="lower left", fontsize=8, ncols=max(1, len(by_speaker)))
    else:
        ax.text(0.5, 0.5, "no scored utterances", ha="center", va="center", transform=ax.transAxes)
    return fig


def timeline_png(analysis: dict[str, Any], path: Path) -> Path:
    """Render :func:`emotion_timeline` once to a PNG (cached by the caller per analysis)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    emotion_timeline(analysis).savefig(tmp, format="png")
    tmp.replace(path)
    return path


def trend_figure(trends: list[dict[str, Any]], metric: str) -> Any:
    """Weekly mean of ``metric`` per rep (from ``coach.team.views.team_overview``), on a
    real date axis (the Monday of each ISO week)."""
    from datetime import date

    from coach.reports.labels import METRICS

    fig = _figure(height=3.0)
    ax = fig.add_subplot(1, 1, 1)
    series: dict[str, list[tuple[date, float]]] = {}
    for p in trends:
        if p.get("metric") == metric and p.get("value") is not None:
            year, week = str(p["week"]).split("-W")
            series.setdefault(p["user"], []).append((date.fromisocalendar(int(year), int(week), 1), float(p["value"])))
    label, unit = METRICS.get(metric, (metric, ""))
    scale = 100.0 if unit == "%" else 1.0
    for user, pts in sorted(series.items()):
        pts.sort()
        ax.plot([d for d, _ in pts], [v * scale for _, v in pts], marker="o", label=user)
    ax.set_ylabel(f"{label} ({unit})" if unit else label, fontsize=8)
    ax.set_title(f"{label}, weekly mean per rep", fontsize=10)
    if series:
        import matplotlib.dates as mdates

        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.tick_params(axis="x", labelsize=8, rotation=30)
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=ax.transAxes)
    return fig
