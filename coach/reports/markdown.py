"""Markdown of a post-call report and of a lost-deal retrospective (CLI ``--markdown``
and terminal output). Only values from the documents are shown."""

from __future__ import annotations

from typing import Any


def _evidence(items: list[dict[str, Any]] | None) -> str:
    parts = []
    for e in items or []:
        if "utterance_id" in e:
            parts.append(f"{e['utterance_id']} @ {e.get('clock', e.get('time'))}")
        elif "case_id" in e:
            parts.append(f"{e['case_id']} / {e.get('section', '')}: \"{e.get('quote', '')}\"")
    return "; ".join(parts) or "-"


def report_markdown(r: dict[str, Any]) -> str:
    out = ["# Post-call report" + (f" (call {r['call_id']})" if r.get("call_id") else ""), r.get("summary", "")]
    for w in r.get("warnings") or []:
        out.append(f"> **Note:** {w}")
    if r.get("strengths"):
        out.append("## Strengths")
        out += [f"- {s['text']} _(evidence: {_evidence(s.get('evidence'))})_" for s in r["strengths"]]
    if r.get("improvements"):
        out.append("## To improve")
        for i in r["improvements"]:
            line = f"- **{i['text']}** _(evidence: {_evidence(i.get('evidence'))})_\n  - Try: {i.get('suggestion', '')}"
            ex = i.get("example_case")
            if ex:
                line += f"\n  - Won example `{ex['id']}`: {ex.get('title', '')}"
                if ex.get("what_worked"):
                    line += f" - what worked: {ex['what_worked']}"
            out.append(line)
    if r.get("benchmarks"):
        out.append("## Metrics against benchmarks\n\n| metric | value | benchmark | verdict | source |\n|---|---|---|---|---|")
        for b in r["benchmarks"]:
            out.append(f"| {b['metric']} | {'-' if b['value'] is None else b['value']} | {b['low']}-{b['high']} | "
                       f"{b['verdict']} | {b['source']} |")
    if r.get("scores"):
        out.append("## Scores\n\n" + ", ".join(f"{k}: {v}" for k, v in r["scores"].items()))
    p = r.get("next_practice")
    if p:
        out.append(f"## Next practice\n{p['name']} ({p['role']}, {p['industry']}): {p['reason']}. Run `{p['command']}`.")
    out.append(f"_Written with {r.get('model', '?')}._")
    return "\n\n".join(x for x in out if x) + "\n"


def retro_markdown(d: dict[str, Any]) -> str:
    if "by_industry" in d:
        out = [f"# Lost-deal retrospective: {d['lost_deals']} lost deals ({d['cases']} cases, {d['calls']} calls)"]
        for w in d.get("warnings") or []:
            out.append(f"> **Note:** {w}")
        for ind, info in d["by_industry"].items():
            out.append(f"## {ind} ({info['deals']} deals)")
            out += [f"- {t['reason']}: {t['deals']} deals (e.g. {', '.join(t['examples'][:3])})" for t in info["top_reasons"]]
        return "\n\n".join(out) + "\n"
    out = [f"# Retrospective: {d.get('title') or d.get('id')} ({d['kind']} {d.get('id')})"]
    for w in d.get("warnings") or []:
        out.append(f"> **Note:** {w}")
    if not d["causes"]:
        out.append("No likely cause was found in the data.")
    out += [f"- **{c['reason']}**: {c['text']} _(evidence: {_evidence(c.get('evidence'))})_" for c in d["causes"]]
    return "\n\n".join(out) + "\n"
