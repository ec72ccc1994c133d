"""Text analysis of a conversation: roles, sentiment/emotion, shifts, metrics, moments.

Used for transcripts (arousal None everywhere) and by the audio pipeline (arousal filled
per utterance before this runs). Everything here is computed from the utterances; every
number can be traced to them.
"""

from __future__ import annotations

import logging
import time

from speech.metrics import compute_metrics
from speech.moments import find_moments
from speech.phrases import load_phrases
from speech.phrases.text import detect_language
from speech.roles import assign_roles
from speech.sentiment import emotion_label, score_sentiment
from speech.shifts import ShiftConfig, detect_shifts
from speech.types import CallAnalysis, SpeakerInfo, Utterance

log = logging.getLogger(__name__)


def analyze_conversation(
    utterances: list[Utterance],
    *,
    language: str | None,
    role_hints: dict[str, str] | None = None,
    phrases_file: str | None = None,
    sentiment_model: str | None = None,
    extra_competitors: list[str] | None = None,
    timed: bool = True,
    shift_config: ShiftConfig | None = None,
) -> CallAnalysis:
    """Fill speakers, utterance role/sentiment/emotion, metrics, emotion shifts, moments
    and warnings. ``language`` None = guess from the script of the text. ``timed=False``
    when times were estimated (``.txt`` transcripts without timestamps)."""
    t0 = time.perf_counter()
    utts = [u.model_copy() for u in sorted(utterances, key=lambda u: (u.start, u.end))]
    ids = [u.id for u in utts]
    if not all(ids) or len(set(ids)) != len(ids):
        for k, u in enumerate(utts, start=1):
            u.id = f"u{k}"
    language = language or detect_language([u.text for u in utts])
    result = CallAnalysis(language=language)
    if not utts:
        result.warnings.append("no speech found: nothing to analyse")
        return result

    phrases = load_phrases(language, phrases_file, extra_competitors)
    warnings: list[str] = list(phrases.warnings)

    decisions, role_warnings = assign_roles(utts, phrases, role_hints)
    warnings += role_warnings
    roles = {spk: d.role for spk, d in decisions.items()}
    for u in utts:
        u.role = roles.get(u.speaker, "unknown")  # type: ignore[assignment]

    scores, sent_warnings = score_sentiment(utts, language, sentiment_model)
    warnings += sent_warnings
    for u, s in zip(utts, scores):
        u.sentiment = s
        u.emotion = emotion_label(s, u.arousal)

    result.emotion_shifts = detect_shifts(utts, shift_config)
    result.metrics = compute_metrics(utts, roles, phrases, timed=timed)
    result.moments = find_moments(utts, phrases)

    talk: dict[str, float] = {}
    for u in utts:
        talk[u.speaker] = talk.get(u.speaker, 0.0) + max(u.end - u.start, 0.0)
    result.speakers = [
        SpeakerInfo(id=spk, role=d.role, talk_s=round(talk.get(spk, 0.0), 2), role_evidence=d.evidence)
        for spk, d in decisions.items()
    ]
    if len(decisions) >= 2 and not any(r == "customer" for r in roles.values()):
        warnings.append("no customer speech identified: customer metrics and shifts may be missing")
    if all(s is None for s in scores):
        warnings.append("no utterance has a sentiment score, so no emotional shifts can be detected")
    result.utterances = utts
    result.warnings = warnings
    result.timings["text_analysis"] = round(time.perf_counter() - t0, 3)
    log.info(
        "analysed %d utterances: %d speakers, %d shifts, %d moments",
        len(utts), len(result.speakers), len(result.emotion_shifts), len(result.moments),
    )
    return result
