"""Pure renderers from the JSON contracts (CallAnalysis, report, script, scorecard) to the
HTML/Markdown the pages show. Every value shown comes from the document; nothing is
computed here beyond formatting."""

from __future__ import annotations

import html
from typing import Any, Iterable

from coach.team import TARGETS, call_flags


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def mmss(t: float | None) -> str:
    if t is None:
        return "-"
    t = max(0.0, float(t))
    return f"{int(t // 60):02d}:{int(t % 60):02d}"


CSS = """
.sc-transcript table {width:100%; border-collapse:collapse; font-size:0.92em}
.sc-transcript td {padding:3px 6px; vertical-align:top; border-bottom:1px solid #eee}
.sc-role-rep {color:#1f4e9c; font-weight:600}
.sc-role-customer {color:#8a4b08; font-weight:600}
.sc-role-unknown {color:#555; font-weight:600}
.shift-marker {display:inline-block; margin:2px 0; padding:1px 6px; border-radius:8px; font-size:0.85em}
.shift-negative {background:#fdecea; color:#a61b0f; border:1px solid #f5b7b1}
.shift-positive {background:#e9f7ef; color:#196f3d; border:1px solid #a9dfbf}
.moment-badge {display:inline-block; margin-left:4px; padding:0 5px; border-radius:6px; font-size:0.8em;
  background:#eef; color:#334}
"""


def transcript_html(analysis: dict[str, Any]) -> str:
    """Transcript table with speaker, role, time, sentiment; shifts and moments marked inline."""
    utts = analysis.get("utterances") or []
    if not utts:
        return "<div class='sc-transcript'><p>No speech was found in this recording.</p></div>"
    shifts: dict[str, list[dict]] = {}
    for s in analysis.get("emotion_shifts") or []:
        shifts.setdefault(s.get("utterance_id", ""), []).append(s)
    moments: dict[str, list[dict]] = {}
    for m in analysis.get("moments") or []:
        moments.setdefault(m.get("utterance_id", ""), []).append(m)
    rows = []
    for u in utts:
        role = u.get("role") or "unknown"
        marks = []
        for s in shifts.get(u.get("id"), []):
            arrow = "&#9660;" if s.get("direction") == "negative" else "&#9650;"
            cause = f"; after {esc(s.get('cause_utterance_id'))}" if s.get("cause_utterance_id") else ""
            marks.append(
                f"<div class='shift-marker shift-{esc(s.get('direction'))}' data-utterance='{esc(u.get('id'))}'>"
                f"{arrow} {esc(s.get('direction'))} shift: {esc(s.get('from'))} &rarr; {esc(s.get('to'))}{cause}"
                f" &mdash; {esc(s.get('evidence'))}</div>"
            )
        badges = "".join(f"<span class='moment-badge'>{esc(m.get('type'))}</span>" for m in moments.get(u.get("id"), []))
        sent = u.get("sentiment")
        rows.append(
            f"<tr id='utt-{esc(u.get('id'))}'><td>{mmss(u.get('start'))}</td><td>{esc(u.get('id'))}</td>"
            f"<td class='sc-role-{esc(role)}'>{esc(u.get('speaker'))}<br><small>{esc(role)}</small></td>"
            f"<td>{esc(u.get('text'))}{badges}{''.join(marks)}</td>"
            f"<td>{'' if sent is None else f'{float(sent):+.2f}'}</td></tr>"
        )
    n = len(analysis.get("emotion_shifts") or [])
    head = (
        f"<p class='shift-summary'>{n} emotion shift{'s' if n != 1 else ''} marked"
        f"{'' if n else ' (none detected)'}.</p>"
    )
    return (
        "<div class='sc-transcript'>" + head + "<table><thead><tr><th>time</th><th>id</th><th>speaker</th>"
        "<th>text</th><th>sentiment</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def metrics_rows(analysis: dict[str, Any]) -> list[list[Any]]:
    """[metric, value, target] rows for a Dataframe."""
    m = analysis.get("metrics") or {}
    rows: list[list[Any]] = []
    for key in (
        "talk_ratio",
        "longest_monologue_s",
        "longest_customer_story_s",
        "interactivity",
        "patience_s",
        "questions_rep",
        "questions_rep_open",
        "questions_rep_closed",
        "questions_customer",
        "filler_words_per_min",
    ):
        if key in m:
            v = m[key]
            rows.append([key, "-" if v is None else (round(v, 3) if isinstance(v, float) else v), TARGETS.get(key, "")])
    for speaker, wpm in sorted((m.get("words_per_minute") or {}).items()):
        rows.append([f"words_per_minute {speaker}", round(float(wpm), 1), "110-160"])
    return rows


def flags_md(analysis: dict[str, Any]) -> str:
    neg = sum(
        1
        for s in analysis.get("emotion_shifts") or []
        if s.get("direction") == "negative" and s.get("role") in ("customer", "unknown")
    )
    reasons = call_flags(analysis.get("metrics") or {}, neg)
    if not reasons:
        return "Within every benchmark."
    return "**Flagged:** " + "; ".join(reasons)


def moments_rows(analysis: dict[str, Any]) -> list[list[Any]]:
    return [
        [m.get("type"), mmss(m.get("time")), m.get("utterance_id"), m.get("text")] for m in analysis.get("moments") or []
    ]


def _evidence_item(item: Any, *, bold: bool = False) -> tuple[dict[str, Any], str]:
    """A report item (dict or plain text) and its bullet line with the evidence after it."""
    item = item if isinstance(item, dict) else {"text": item}
    ev = _evidence(item.get("evidence"))
    text = esc(item.get("text", ""))
    return item, f"- {f'**{text}**' if bold else text}" + (f" _(evidence: {esc(ev)})_" if ev else "")


def _evidence(ev: Any) -> str:
    """Evidence as 'u4 00:22, u8 00:52' (utterance ids and clock times) or case ids."""
    if ev is None:
        return ""
    if isinstance(ev, (list, tuple)):
        return ", ".join(x for x in (_evidence(e) for e in ev) if x)
    if isinstance(ev, dict):
        when = ev.get("clock") or (mmss(ev["time"]) if isinstance(ev.get("time"), (int, float)) else ev.get("time"))
        parts = [str(x) for x in (ev.get("utterance_id"), when, ev.get("case_id") or ev.get("id")) if x not in (None, "")]
        return " ".join(parts) or str(ev.get("text", ""))
    return str(ev)


def _case_ref(case: Any) -> str:
    if isinstance(case, dict):
        line = f"`{esc(case.get('id', ''))}` {esc(case.get('title', ''))}"
        if case.get("what_worked"):
            line += f" - what worked: {esc(case['what_worked'])}"
        return line
    return f"`{esc(case)}`"


def report_md(report: dict[str, Any] | None) -> str:
    """The post-call report (summary, strengths, improvements, scores, benchmarks,
    next_practice); every item keeps its evidence (utterance ids and times, case ids)."""
    if not report:
        return "_No report yet._"
    blocks = [f"### Summary\n{esc(report.get('summary', ''))}"]
    strengths = report.get("strengths") or []
    if strengths:
        lines = ["### Strengths"]
        for st in strengths:
            lines.append(_evidence_item(st)[1])
        blocks.append("\n".join(lines))
    improvements = report.get("improvements") or []
    if improvements:
        lines = ["### To improve"]
        for imp in improvements:
            imp, line = _evidence_item(imp, bold=True)
            lines.append(line)
            if imp.get("suggestion"):
                lines.append(f"  - Try: {esc(imp['suggestion'])}")
            if imp.get("example_case"):
                lines.append(f"  - Won example: {_case_ref(imp['example_case'])}")
        blocks.append("\n".join(lines))
    scores = report.get("scores") or {}
    if scores:
        items = scores.items() if isinstance(scores, dict) else [(x.get("name"), x.get("score")) for x in scores]
        blocks.append("### Scores\n| area | score |\n|---|---|\n" + "\n".join(f"| {esc(k)} | {esc(v)} |" for k, v in items))
    bench = report.get("benchmarks") or []
    if bench:
        rows = []
        for b in bench:
            v = b.get("value")
            band = f"{b.get('low')}-{b.get('high')}"
            rows.append(f"| {esc(b.get('metric'))} | {'-' if v is None else esc(v)} | {esc(band)} | {esc(b.get('verdict'))} | {esc(b.get('source'))} |")
        blocks.append("### Against benchmarks\n| metric | value | band | verdict | source |\n|---|---|---|---|---|\n" + "\n".join(rows))
    nxt = report.get("next_practice")
    if nxt:
        if isinstance(nxt, dict):
            who = f"{esc(nxt.get('name', ''))} ({esc(nxt.get('role', ''))}, persona `{esc(nxt.get('persona_id', ''))}`)"
            blocks.append(f"### Next practice\nRole-play with {who}: {esc(nxt.get('reason', ''))}")
        else:
            blocks.append(f"### Next practice\n{esc(nxt)}")
    warnings = report.get("warnings") or []
    if warnings:
        blocks.append("**Notes**\n" + "\n".join(f"- {esc(w)}" for w in warnings))
    if report.get("model"):
        blocks.append(f"<sub>summary phrased by {esc(report['model'])}{'' if report.get('llm_ok', True) else ' (LLM failed: grounded text shown)'}</sub>")
    return "\n\n".join(blocks)


def script_md(script: dict[str, Any]) -> str:
    """A pre-visit script with the cited case ids under each section."""
    out = []
    for sec in script.get("sections") or []:
        cites = sec.get("citations") or []
        out.append(f"### {sec.get('title', '')}\n\n{sec.get('content', '')}")
        if cites:
            out.append("_Sources: " + ", ".join(f"`{c}`" for c in cites) + "_")
    if script.get("citations"):
        out.append("---\n**Cases cited:** " + ", ".join(f"`{c if not isinstance(c, dict) else c.get('id')}`" for c in script["citations"]))
    val = script.get("validation") or {}
    if val:
        out.append(
            f"_Checked: {val.get('kept', '-')} of {val.get('claims', '-')} claims kept with their evidence, "
            f"{val.get('dropped', 0)} dropped._"
        )
    if script.get("warnings"):
        out.append("**Notes**\n" + "\n".join(f"- {esc(w)}" for w in script["warnings"]))
    if script.get("model"):
        llm_note = "" if script.get("llm_ok", True) else " (LLM failed: the grounded plan is shown)"
        out.append(f"<sub>written with {esc(script['model'])}{llm_note}</sub>")
    return "\n\n".join(out) or "_The script is empty._"


def scorecard_md(card: dict[str, Any] | None) -> str:
    """Role-play scorecard: total, then each criterion with its checks and evidence."""
    if not card:
        return ""
    out = [f"## Score: {card.get('total', '-')} / 100"]
    for c in card.get("criteria") or []:
        out.append(f"### {c.get('name', '')} - {c.get('score', '-')} (weight {c.get('weight', '-')})")
        for chk in c.get("checks") or []:
            mark = "&#10004;" if chk.get("passed") else "&#10008;"
            ev = _evidence(chk.get("evidence"))
            out.append(f"- {mark} {chk.get('text', '')}" + (f" _(evidence: {esc(ev)})_" if ev else ""))
    return "\n".join(out)


def case_md(case: dict[str, Any]) -> str:
    meta = {**(case.get("metadata") or {}), **case}
    facts = ", ".join(
        f"{k}: {meta[k]}" for k in ("outcome", "industry", "product", "customer", "deal_size", "currency", "date") if meta.get(k)
    )
    return f"### {case.get('title', case.get('id', ''))} (`{case.get('id', '')}`)\n\n_{facts}_\n\n{case.get('body', '')}"


def table(rows: Iterable[dict[str, Any]], columns: list[str]) -> list[list[Any]]:
    return [[r.get(c) for c in columns] for r in rows]
