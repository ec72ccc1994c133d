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

    t_sent = time.perf_counter()
    scores, sent_warnings = score_sentiment(utts, language, sentiment_model)
    result.timings["sentiment"] = round(time.perf_counter() - t_sent, 3)
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
        SpeakerInfo(id=spk, role=d.role, talk_s=round(talk.get(spk, 0.0), 2), role_evidence=d.evidence,
                    role_confidence=d.confidence)
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


def reassign_roles(
    analysis: CallAnalysis,
    rep_speaker: str,
    *,
    phrases_file: str | None = None,
    shift_config: ShiftConfig | None = None,
) -> CallAnalysis:
    """The same call with ``rep_speaker`` as the rep and everyone else decided again:
    roles, emotion shifts, metrics and moments recomputed from the stored utterances.
    Transcription, sentiment and arousal do not depend on roles and are kept, so this
    takes milliseconds instead of a new transcription.

    Raises ``InputError`` (speech.errors) when ``rep_speaker`` does not speak in the call.
    """
    from speech.errors import InputError

    t0 = time.perf_counter()
    utts = [u.model_copy() for u in analysis.utterances]
    speakers = list(dict.fromkeys(u.speaker for u in utts))
    wanted = rep_speaker.strip()
    chosen = wanted if wanted in speakers else {s.casefold(): s for s in speakers}.get(wanted.casefold())
    if chosen is None:
        raise InputError(
            f"speaker {rep_speaker!r} does not speak in this call",
            detail=f"speakers: {', '.join(speakers) or 'none'}",
        )
    phrases = load_phrases(analysis.language, phrases_file)
    hints = {s: "customer:not the chosen rep" for s in speakers if s != chosen} if len(speakers) == 2 else {}
    hints[chosen] = f"rep:chosen as the rep ({chosen})"
    decisions, _ = assign_roles(utts, phrases, hints)
    roles = {spk: d.role for spk, d in decisions.items()}
    for u in utts:
        u.role = roles.get(u.speaker, "unknown")  # type: ignore[assignment]
        u.emotion = emotion_label(u.sentiment, u.arousal) if u.sentiment is not None else u.emotion
    out = analysis.model_copy(deep=True)
    out.utterances = utts
    out.emotion_shifts = detect_shifts(utts, shift_config)
    out.metrics = compute_metrics(utts, roles, phrases, timed=_was_timed(analysis))
    out.moments = find_moments(utts, phrases)
    talk = {s.id: s.talk_s for s in analysis.speakers}
    out.speakers = [
        SpeakerInfo(id=spk, role=d.role, talk_s=talk.get(spk, 0.0), role_evidence=d.evidence, role_confidence=d.confidence)
        for spk, d in decisions.items()
    ]
    role_notes = ("could not tell the rep", "no customer speech identified", "no clear seller")
    out.warnings = [w for w in analysis.warnings if not any(n in w for n in role_notes)]
    out.timings = {**analysis.timings, "roles": round(time.perf_counter() - t0, 4)}
    return out


def _was_timed(analysis: CallAnalysis) -> bool:
    """Whether the first analysis had real times (audio, or a timed transcript): untimed
    ``.txt`` transcripts have no words-per-minute figures."""
    return analysis.audio is not None or bool(analysis.metrics.words_per_minute)
