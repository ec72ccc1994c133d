"""Pure renderers from the JSON contracts (CallAnalysis, report, script, scorecard) to the
HTML/Markdown the pages show. Every value shown comes from the document; nothing is
computed here beyond formatting."""

from __future__ import annotations

import html
from typing import Any, Iterable

from coach.team.views import TARGETS, call_flags
from coach.calls.views import shift_summary, shown_shifts


def esc(x: Any) -> str:
    """HTML-escaped text with Markdown links and images to other sites removed (user and
    model text is shown through Markdown components)."""
    from coach.llm.markdown_safety import strip_external

    return strip_external(html.escape("" if x is None else str(x)))


def mmss(t: float | None) -> str:
    if t is None:
        return "-"
    t = max(0.0, float(t))
    return f"{int(t // 60):02d}:{int(t % 60):02d}"


CSS_TEMPLATE = """
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
/* Gradio scopes these rules inside its container itself: no .gradio-container prefix here */
/* one font stack everywhere; the CJK fonts (fonts-noto-cjk, setup.sh) render Chinese */
div, span, p, li, td, th, label, input, textarea, button, h1, h2, h3, h4 {font-family: FONT_STACK}
details.sc-checked {margin-top:8px; color:#444; font-size:0.92em}
details.sc-checked summary {cursor:pointer; font-weight:600}
#sc-roles {border:2px solid #e8a317}
/* table headers and ids break between words, never inside one */
#sc-calls-table th *, #sc-metrics th *, #sc-team-reps th * {word-break:normal !important; overflow-wrap:normal !important}
#sc-calls-table td:first-child * {white-space:nowrap}
/* phones (down to 390 px): transcript rows become cards, tables keep readable columns and
   scroll sideways instead of breaking words, rows wrap */
@media (max-width: 640px) {
  #sc-title {min-width:8.5em !important; flex:0 0 auto !important}
  #sc-title h2 {white-space:nowrap !important; font-size:1.2em}
  .sc-transcript thead {display:none}
  .sc-transcript table, .sc-transcript tbody, .sc-transcript tr, .sc-transcript td {display:block; width:auto}
  .sc-transcript tr {border-bottom:1px solid #ddd; padding:4px 0}
  .sc-transcript table, .sc-transcript td {border:none !important}
  .sc-transcript td {padding:1px 4px; display:inline-block; min-width:0 !important}
  .sc-transcript td:nth-child(4) {display:block}
  .prose table {display:block; overflow-x:auto; max-width:100%}
  table {table-layout:auto !important}
  table th, table td {min-width:6.5em !important; word-break:normal !important; overflow-wrap:normal !important}
  table th *, table td * {word-break:normal !important; overflow-wrap:normal !important}
}
"""


def _css() -> str:
    from ui.exports import FONT_STACK

    return CSS_TEMPLATE.replace("FONT_STACK", FONT_STACK)


CSS = _css()


def transcript_html(analysis: dict[str, Any], show_all: bool = False) -> str:
    """Transcript table with speaker, role, time, sentiment; shifts and moments marked inline."""
    from coach.reports.labels import humanize

    utts = analysis.get("utterances") or []
    if not utts:
        return "<div class='sc-transcript'><p>No speech was found in this recording.</p></div>"
    shown = shown_shifts(analysis, show_all)
    shifts: dict[str, list[dict]] = {}
    for s in shown:
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
            marks.append(
                f"<div class='shift-marker shift-{esc(s.get('direction'))}' data-utterance='{esc(u.get('id'))}'>"
                f"{arrow} {esc(s.get('evidence'))} (strength {float(s.get('strength') or 0):.2f})</div>"
            )
        badges = "".join(f"<span class='moment-badge'>{esc(humanize(m.get('type')))}</span>" for m in moments.get(u.get("id"), []))
        sent = u.get("sentiment")
        rows.append(
            f"<tr id='utt-{esc(u.get('id'))}'><td>{mmss(u.get('start'))}</td><td>{esc(u.get('id'))}</td>"
            f"<td class='sc-role-{esc(role)}'>{esc(u.get('speaker'))}<br><small>{esc(role)}</small></td>"
            f"<td>{esc(u.get('text'))}{badges}{''.join(marks)}</td>"
            f"<td>{'' if sent is None else f'{float(sent):+.2f}'}</td></tr>"
        )
    summ = shift_summary(analysis)
    if not summ.customer + summ.rep:
        text = "No emotional shifts detected."
    elif show_all:
        text = f"All {summ.customer + summ.rep} emotional shifts marked ({summ.customer} customer, {summ.rep} rep)."
    else:
        text = (f"The customer's {len(shown)} strongest of {summ.customer} shift{'s' if summ.customer != 1 else ''} "
                f"marked" + (f"; the rep's {summ.rep} are hidden" if summ.rep else "") + ".")
    head = f"<p class='shift-summary'>{text}</p>"
    return (
        "<div class='sc-transcript'>" + head + "<table><thead><tr><th>time</th><th>id</th><th>speaker</th>"
        "<th>text</th><th>sentiment</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def metrics_rows(analysis: dict[str, Any]) -> list[list[Any]]:
    """[metric, value, target] rows for a Dataframe, in users' words with units; the
    values are the stored figures (the report and the team view show the same)."""
    from coach.reports.labels import METRICS, metric_value

    m = analysis.get("metrics") or {}
    if not _roles_known(analysis):
        return [["Roles unknown", "-", "Choose which speaker is the rep to see the metrics"]]
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
            rows.append([METRICS[key][0], metric_value(key, m[key]), TARGETS.get(key, "")])  # the value carries the unit
    roles = {sp.get("id"): sp.get("role") for sp in analysis.get("speakers") or []}
    for speaker, wpm in sorted((m.get("words_per_minute") or {}).items()):
        who = f"{speaker}, {roles.get(speaker) or 'unknown'}"
        rows.append([f"Speaking pace ({who})", f"{float(wpm):.0f} words/min", "110-160 words/min"])
    return rows


def _roles_known(analysis: dict[str, Any]) -> bool:
    from coach.calls.roles import roles_state

    return roles_state(analysis)["known"]


def flags_md(analysis: dict[str, Any]) -> str:
    if not _roles_known(analysis):
        return ""
    reasons = call_flags(analysis.get("metrics") or {}, shift_summary(analysis).customer_negative_unrecovered)
    if not reasons:
        return "Within every benchmark."
    return "**Flagged:** " + "; ".join(reasons)


def moments_rows(analysis: dict[str, Any]) -> list[list[Any]]:
    from coach.reports.labels import humanize

    return [
        [humanize(m.get("type")), mmss(m.get("time")), m.get("utterance_id"), m.get("text")] for m in analysis.get("moments") or []
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


def case_link(case_id: Any) -> str:
    """A case id as a link to the case view (``/?case=ID`` opens it on the Coach page)."""
    from urllib.parse import quote

    cid = str(case_id or "")
    return f"[{esc(cid)}](/?case={quote(cid, safe='')})" if cid else ""


def call_link(call_id: Any, text: Any = None) -> str:
    """A call as a link that opens it on the Calls page (``/?call=ID``)."""
    from urllib.parse import quote

    cid = str(call_id or "")
    return f"[{esc(text or cid)}](/?call={quote(cid, safe='')})" if cid else ""


def _case_ref(case: Any) -> str:
    if isinstance(case, dict):
        line = f"{case_link(case.get('id', ''))} {esc(case.get('title', ''))}"
        if case.get("what_worked"):
            line += f" - what worked: {esc(case['what_worked'])}"
        return line
    return case_link(case)


def checked_panel(notes: list[str]) -> str:
    """Validation and model notes, folded away: for the curious, not in the way."""
    if not notes:
        return ""
    items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return f"<details class='sc-checked'><summary>How this was checked</summary><ul>{items}</ul></details>"


def report_md(report: dict[str, Any] | None, *, call_id: str | None = None) -> str:
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
    from coach.reports.labels import humanize, metric_name, metric_value

    scores = report.get("scores") or {}
    if scores:
        items = scores.items() if isinstance(scores, dict) else [(x.get("name"), x.get("score")) for x in scores]
        blocks.append("### Scores (0-100)\n| area | score |\n|---|---|\n"
                      + "\n".join(f"| {esc(SCORE_LABELS.get(k, humanize(k)))} | {esc(v)} |" for k, v in items))
    bench = report.get("benchmarks") or []
    if bench:
        rows = []
        for b in bench:
            key = str(b.get("metric"))
            band = f"{metric_value(key, b.get('low'))} to {metric_value(key, b.get('high'))}"
            rows.append(f"| {esc(metric_name(key))} | {esc(metric_value(key, b.get('value')))} | {esc(band)} | "
                        f"{esc(b.get('verdict'))} | {esc(_source_words(b.get('source')))} |")
        blocks.append("### Against benchmarks\n| metric | this call | target | verdict | source |\n|---|---|---|---|---|\n"
                      + "\n".join(rows))
    nxt = report.get("next_practice")
    if nxt:
        if isinstance(nxt, dict):
            who = f"**{esc(nxt.get('name', ''))}** ({esc(nxt.get('role', ''))})"
            reason = esc(nxt.get("reason", ""))
            blocks.append(f"### Next practice\nOn the **Role-play** page, practise with {who}: {reason}")
        else:
            blocks.append(f"### Next practice\n{esc(nxt)}")
    notes = [str(w) for w in report.get("warnings") or []]
    if report.get("model"):
        notes.append(f"Summary phrased by {report['model']}"
                     + ("" if report.get("llm_ok", True) else " (the model failed: the computed summary is shown)"))
    if notes:
        blocks.append(checked_panel(notes))
    return "\n\n".join(blocks)


from coach.reports.labels import SCORES as SCORE_LABELS  # noqa: E402


def _source_words(source: Any) -> str:
    """A benchmark's source without internal file names ("(DESIGN.md)")."""
    import re

    return re.sub(r"\s*\((?:[A-Za-z_./-]+\.(?:md|py|yaml|json))\)", "", str(source or "")).strip()


def script_md(script: dict[str, Any]) -> str:
    """A pre-visit script with the cited case ids under each section."""
    from coach.llm.markdown_safety import strip_external

    out = []
    for sec in script.get("sections") or []:
        cites = sec.get("citations") or []
        out.append(f"### {esc(sec.get('title', ''))}\n\n{_cite_links(strip_external(str(sec.get('content', ''))), cites)}")
        if cites:
            out.append("_Sources: " + ", ".join(case_link(c) for c in cites) + "_")
    if script.get("citations"):
        lines = []
        for c in script["citations"]:
            if isinstance(c, dict):
                lines.append(f"- {case_link(c.get('id'))}: {esc(c.get('title', ''))}"
                             + (f" ({esc(c.get('product'))})" if c.get("product") else ""))
            else:
                lines.append(f"- {case_link(c)}")
        out.append("---\n**Cases cited** (open one to read it)\n" + "\n".join(lines))
    if script.get("warnings"):
        out.append("**Notes**\n" + "\n".join(f"- {esc(w)}" for w in script["warnings"] if "LLM" not in str(w)))
    notes: list[str] = []
    val = script.get("validation") or {}
    if val:
        notes.append(f"{val.get('kept', '-')} of {val.get('claims', '-')} claims kept with their evidence, "
                     f"{val.get('dropped', 0)} dropped because no cited case supports them.")
        notes += [str(n) for n in val.get("notes") or []]
    for sec in script.get("sections") or []:
        notes += [f"{sec.get('title', '')}: {n}" for n in sec.get("notes") or [] if f"{sec.get('title', '')}: {n}" not in notes]
    notes += [str(w) for w in script.get("warnings") or [] if "LLM" in str(w)]
    if script.get("model"):
        notes.append(f"Written with {script['model']}"
                     + ("" if script.get("llm_ok", True) or not script.get("complete", True)
                        else "; where its phrasing did not follow the grounded plan, the plan is shown"))
    if notes:
        out.append(checked_panel(list(dict.fromkeys(notes))))
    return "\n\n".join(out) or "_The script is empty._"


def _cite_links(text: str, cites: list[Any]) -> str:
    """Case ids in a section's text (``[case-id]`` or bare) as links to the case view."""
    import re

    for c in cites:
        cid = str(c if not isinstance(c, dict) else c.get("id"))
        if not cid:
            continue
        text = re.sub(r"\[" + re.escape(cid) + r"\](?!\()", case_link(cid), text)
        text = re.sub(r"(?<![\[/=\w-])" + re.escape(cid) + r"(?![\w-]|\]\()", case_link(cid), text)
    return text


def scorecard_md(card: dict[str, Any] | None) -> str:
    """Role-play scorecard: total, then each criterion with its checks and evidence."""
    if not card:
        return ""
    out = [f"## Score: {card.get('total', '-')} / 100"]
    for c in card.get("criteria") or []:
        crit_score = "not applicable" if c.get("score") is None else c.get("score")
        out.append(f"### {c.get('name', '')} - {crit_score} (weight {c.get('weight', '-')})")
        for chk in c.get("checks") or []:
            if chk.get("passed") is None:
                mark = "&#8211; not applicable:"
            else:
                mark = "&#10004;" if chk.get("passed") else "&#10008;"
            ev = _evidence(chk.get("evidence"))
            out.append(f"- {mark} {esc(chk.get('text', ''))}" + (f" _(evidence: {esc(ev)})_" if ev else ""))
            if chk.get("would_pass"):
                out.append(f"    - What would have passed: {esc(chk['would_pass'])}")
    return "\n".join(out)


def case_md(case: dict[str, Any]) -> str:
    meta = {**(case.get("metadata") or {}), **case}
    facts = ", ".join(
        f"{k}: {meta[k]}" for k in ("outcome", "industry", "product", "customer", "deal_size", "currency", "date") if meta.get(k)
    )
    return f"### {case.get('title', case.get('id', ''))} (`{case.get('id', '')}`)\n\n_{facts}_\n\n{case.get('body', '')}"


def table(rows: Iterable[dict[str, Any]], columns: list[str]) -> list[list[Any]]:
    return [[r.get(c) for c in columns] for r in rows]
