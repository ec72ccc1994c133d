"""Users' words for the names the code uses: metric labels with units, moment and tag
labels, timestamps without microseconds. Every page, export and the team view format
through here, so a figure reads the same wherever it is shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

#: metric key -> (label, unit shown after the value; "%" turns a 0..1 ratio into percent)
METRICS: dict[str, tuple[str, str]] = {
    "talk_ratio": ("Rep talk time", "%"),
    "longest_monologue_s": ("Longest rep monologue", "s"),
    "longest_customer_story_s": ("Longest customer story", "s"),
    "interactivity": ("Speaker switches", "per min"),
    "patience_s": ("Pause before answering", "s"),
    "questions_rep": ("Questions asked by the rep", ""),
    "questions_rep_open": ("  of which open questions", ""),
    "questions_rep_closed": ("  of which closed questions", ""),
    "questions_customer": ("Questions asked by the customer", ""),
    "filler_words_per_min": ("Filler words by the rep", "per min"),
    "words_per_minute": ("Speaking pace", "words/min"),
    "negative_customer_shifts": ("Customer cooled, mean per call", ""),
    "roleplay_score": ("Role-play score", "/100"),
}

#: report score areas (0-100 each)
SCORES: dict[str, str] = {
    "talk_ratio": "Rep talk time", "questions_rep": "Questions asked", "longest_monologue_s": "Longest monologue",
    "patience_s": "Pause before answering", "objection_handling": "Objection handling", "next_step": "Next step agreed",
    "customer_sentiment": "Customer sentiment", "overall": "Overall",
}

MOMENTS: dict[str, str] = {
    "objection": "Objection",
    "pricing": "Pricing",
    "competitor": "Competitor",
    "next_step": "Next step",
}


def metric_label(key: str) -> str:
    """``"Longest rep monologue (s)"`` for ``longest_monologue_s``."""
    label, unit = METRICS.get(key, (humanize(key), ""))
    return f"{label} ({unit})" if unit else label


def metric_name(key: str) -> str:
    """``"Longest rep monologue"``: the label alone, for tables whose values carry the unit."""
    return METRICS.get(key, (humanize(key), ""))[0].strip()


def metric_value(key: str, value: Any) -> str:
    """The value as a user reads it: ``43%``, ``14.1 s``, ``12``; ``-`` when missing."""
    if value is None:
        return "-"
    unit = METRICS.get(key, ("", ""))[1]
    if unit == "%":
        return f"{100 * float(value):.0f}%"
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, float):
        text = f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip() if unit and unit != "/100" else text


def humanize(tag: str) -> str:
    """``roi-proof`` / ``next_step`` -> ``Roi proof`` / ``Next step`` (tags, check ids)."""
    from scripts_gen.playbook import ACRONYMS

    words = [ACRONYMS.get(w, w) for w in str(tag or "").replace("_", " ").replace("-", " ").split()]
    text = " ".join(words)
    return MOMENTS.get(str(tag), text[:1].upper() + text[1:])


def when(value: Any) -> str:
    """A timestamp to the minute, ``2026-12-04 16:52`` (no microseconds, no ``T``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value).replace("T", " ")
    return text[:16]


def clock(seconds: Any) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour) of a time in the call."""
    if seconds is None:
        return "-"
    t = int(max(0.0, float(seconds)))
    h, rest = divmod(t, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"
