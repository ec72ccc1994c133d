"""Markdown rendering of a :class:`CallAnalysis` (CLI ``--markdown``, terminal summary).

Every number shown is read from the analysis; times are ``mm:ss`` of the recording and
utterance ids are kept so a reader can find the evidence in the JSON.
"""

from __future__ import annotations

from speech.shift_summary import key_shifts, summarize
from speech.types import CallAnalysis, Utterance


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def _num(v: float | None, fmt: str = "{:.1f}", unit: str = "") -> str:
    return "-" if v is None else fmt.format(v) + unit


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _who(analysis: CallAnalysis, speaker: str) -> str:
    sp = next((s for s in analysis.speakers if s.id == speaker), None)
    return f"{speaker} ({sp.role})" if sp and sp.role != "unknown" else speaker


def header_lines(a: CallAnalysis) -> list[str]:
    lines = [f"# Call analysis: {a.source or 'call'}", ""]
    if a.audio:
        lines.append(
            f"- **Audio:** {clock(a.audio.duration_s)} ({a.audio.duration_s:.1f} s), "
            f"{a.audio.channels} channel(s), {a.audio.sample_rate} Hz"
        )
    else:
        lines.append("- **Input:** transcript (no audio)")
    lines.append(f"- **Language:** {a.language or 'unknown'}")
    lines.append(f"- **Utterances:** {len(a.utterances)}; **speakers:** {len(a.speakers)}")
    return lines


def speakers_lines(a: CallAnalysis) -> list[str]:
    if not a.speakers:
        return []
    lines = ["", "## Speakers", "", "| speaker | role | talk time | how the role was decided |", "|---|---|---|---|"]
    for s in a.speakers:
        lines.append(f"| {s.id} | {s.role} | {s.talk_s:.1f} s | {_esc(s.role_evidence or '-')} |")
    return lines


def metrics_lines(a: CallAnalysis) -> list[str]:
    m = a.metrics
    rows = [
        ("Talk ratio (rep share of speech)", _num(None if m.talk_ratio is None else m.talk_ratio * 100, "{:.0f}", " %")),
        ("Longest rep monologue", _num(m.longest_monologue_s, unit=" s")),
        ("Longest customer story", _num(m.longest_customer_story_s, unit=" s")),
        ("Interactivity (switches/min)", _num(m.interactivity, "{:.2f}")),
        ("Patience (pause before rep answers)", _num(m.patience_s, "{:.2f}", " s")),
        (
            "Questions asked by the rep",
            f"{m.questions_rep} ({m.questions_rep_open} open, {m.questions_rep_closed} closed)",
        ),
        ("Questions asked by the customer", str(m.questions_customer)),
        ("Filler words per minute (rep)", _num(m.filler_words_per_min, "{:.1f}")),
    ]
    for spk, wpm in sorted(m.words_per_minute.items()):
        rows.append((f"Words per minute, {_who(a, spk)}", f"{wpm:.0f}"))
    lines = ["", "## Conversation metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return lines


def shifts_lines(a: CallAnalysis) -> list[str]:
    """The customer's strongest shifts (as the call page shows them), one line each."""
    if not a.emotion_shifts:
        return ["", "## Emotional shifts", "", "None detected."]
    summ = summarize(a.emotion_shifts, [u.id for u in a.utterances])
    keys = key_shifts(a.emotion_shifts)
    lines = ["", "## Emotional shifts", "",
             f"The customer's {len(keys)} strongest of {summ.customer} (the rep's {summ.rep} are in the JSON):", ""]
    for sh in keys:
        lines.append(f"- **{clock(sh.time)}** `{sh.utterance_id}` {sh.direction}, strength {sh.strength:.2f}: "
                     f"{sh.evidence}")
    return lines


def moments_lines(a: CallAnalysis) -> list[str]:
    if not a.moments:
        return []
    lines = ["", "## Moments", ""]
    for mo in a.moments:
        phrase = f" (matched “{mo.phrase}”)" if mo.phrase else ""
        lines.append(f"- **{mo.type}** {clock(mo.time)} `{mo.utterance_id}`: “{_short(mo.text)}”{phrase}")
    return lines


def transcript_lines(a: CallAnalysis) -> list[str]:
    if not a.utterances:
        return ["", "## Transcript", "", "_No speech._"]
    lines = ["", "## Transcript", ""]
    for u in a.utterances:
        lines.append(f"- `{u.id}` **{clock(u.start)}** {_who(a, u.speaker)}: {u.text}{_scores(u)}")
    return lines


def _scores(u: Utterance) -> str:
    parts = []
    if u.sentiment is not None:
        parts.append(f"sentiment {u.sentiment:+.2f}")
    if u.arousal is not None:
        parts.append(f"arousal {u.arousal:+.2f}")
    if u.emotion:
        parts.append(u.emotion)
    return f" _({', '.join(parts)})_" if parts else ""


def footer_lines(a: CallAnalysis) -> list[str]:
    lines: list[str] = []
    if a.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in a.warnings]
    if a.timings:
        lines += ["", "## Timings", "", "| stage | seconds |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in a.timings.items()]
    return lines


def summary_markdown(a: CallAnalysis) -> str:
    """Everything but the transcript: what the terminal shows after ``analyze``."""
    parts = header_lines(a) + speakers_lines(a) + metrics_lines(a) + shifts_lines(a) + moments_lines(a) + footer_lines(a)
    return "\n".join(parts) + "\n"


def to_markdown(a: CallAnalysis) -> str:
    """The full report: summary sections plus the transcript."""
    parts = (
        header_lines(a)
        + speakers_lines(a)
        + metrics_lines(a)
        + shifts_lines(a)
        + moments_lines(a)
        + transcript_lines(a)
        + footer_lines(a)
    )
    return "\n".join(parts) + "\n"
