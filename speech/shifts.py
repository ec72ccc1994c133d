"""Emotional shifts: where a speaker's mood turned, how strongly, and what came just before.

Per speaker, in time order, the baseline is an exponentially weighted mean of their
previous utterances' sentiment (``alpha`` = weight of the newest; 1.0 = their previous
utterance, the MELD definition of a shift). An utterance is a shift when

* its polarity (negative / neutral / positive, neutral band ``band``) differs from the
  baseline's, and
* its **strength** reaches ``min_strength``::

      strength = |sentiment - baseline| * (1 + arousal_weight * min(max(arousal, 0), arousal_cap))

Sentiment is ``p(positive) - p(negative)`` of the head, so a confident change is a large
one. Voice and words are fused in the strength: arousal is the speaker's vocal arousal as
a z-score against their own mean (``speech.prosody``), so the same words said louder and
faster than usual count more (a shouted "fine" is a stronger turn than a calm one); arousal
alone never makes a shift, because it cannot say which way a speaker moved.

``band``, ``alpha`` and ``min_strength`` were chosen with the shipped sentiment head on
MELD train (grouped cross-validation, out-of-fold scores; ``benchmarks/train_sentiment.py``)
and are stored beside its weights. ``arousal_weight`` could not be fitted (MELD has text
only): 0.5 is a design choice, documented as such.

The cause of a shift is the other party's most recent utterance before it; the evidence is
one short line.
"""

from __future__ import annotations

from dataclasses import dataclass

from speech.phrases.text import fmt_ts, quote
from speech.sentiment import polarity_label
from speech.types import EmotionShift, Utterance

#: quotes in the one-line evidence are cut to this many characters
EVIDENCE_QUOTE_CHARS = 48


@dataclass(frozen=True)
class ShiftConfig:
    band: float = 0.3
    alpha: float = 1.0
    min_strength: float = 0.6
    arousal_weight: float = 0.5
    arousal_cap: float = 2.0

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError("ShiftConfig.alpha must be in (0, 1]")
        if not 0.0 <= self.band < 1.0:
            raise ValueError("ShiftConfig.band must be in [0, 1)")

    @classmethod
    def shipped(cls) -> "ShiftConfig":
        """The settings chosen with the shipped sentiment head (defaults if it is missing)."""
        from speech.sentiment_head import load_head  # noqa: PLC0415

        try:
            head = load_head()
        except Exception:  # noqa: BLE001 - no head: the class defaults
            return cls()
        keys = {"alpha", "min_strength", "arousal_weight", "arousal_cap"}
        return cls(band=head.band, **{k: float(v) for k, v in head.shift.items() if k in keys})


@dataclass(frozen=True)
class ShiftPoint:
    """One detected shift, by position in the input lists."""

    index: int
    baseline: float
    strength: float
    direction: str  # negative | positive
    arousal_boost: float  # the clipped arousal z that multiplied the change


def shift_points(
    speakers: list[str], scores: list[float | None], arousal: list[float | None], cfg: ShiftConfig
) -> list[ShiftPoint]:
    """The detector on plain lists (conversation order); None scores are skipped and do
    not move the baseline. Shared by the product and the benchmarks."""
    base: dict[str, float] = {}
    out: list[ShiftPoint] = []
    for i, (spk, s, a) in enumerate(zip(speakers, scores, arousal)):
        if s is None:
            continue
        if spk in base:
            b = base[spk]
            boost = min(max(a or 0.0, 0.0), cfg.arousal_cap)
            strength = abs(s - b) * (1.0 + cfg.arousal_weight * boost)
            if polarity_label(s, cfg.band) != polarity_label(b, cfg.band) and strength >= cfg.min_strength:
                out.append(ShiftPoint(i, b, strength, "positive" if s > b else "negative", boost))
            base[spk] = b + cfg.alpha * (s - b)
        else:
            base[spk] = s
    return out


def detect_shifts(utterances: list[Utterance], config: ShiftConfig | None = None) -> list[EmotionShift]:
    """Shifts in time order, each with its strength, cause and one-line evidence."""
    cfg = config or ShiftConfig.shipped()
    ordered = sorted(utterances, key=lambda u: (u.start, u.end))
    points = shift_points([u.speaker for u in ordered], [u.sentiment for u in ordered],
                          [u.arousal for u in ordered], cfg)
    return [_make_shift(ordered, p, cfg) for p in points]


def find_cause(ordered: list[Utterance], idx: int) -> Utterance | None:
    """The other party's most recent utterance that started before ``ordered[idx]``."""
    me = ordered[idx]
    for prev in reversed(ordered[:idx]):
        if prev.speaker != me.speaker and prev.start <= me.start:
            return prev
    return None


def _who(u: Utterance) -> str:
    return u.role if u.role != "unknown" else f"speaker {u.speaker}"


def _make_shift(ordered: list[Utterance], p: ShiftPoint, cfg: ShiftConfig) -> EmotionShift:
    u = ordered[p.index]
    assert u.sentiment is not None
    cause = find_cause(ordered, p.index)
    before, after = polarity_label(p.baseline, cfg.band), polarity_label(u.sentiment, cfg.band)
    voice = ", voice raised" if p.arousal_boost >= 1.0 else ""
    evidence = f"{_who(u)} {before} → {after}{voice}"
    if cause is not None:
        evidence += f' after {_who(cause)}: "{quote(cause.text, EVIDENCE_QUOTE_CHARS)}" ({fmt_ts(cause.start)})'
    return EmotionShift(
        utterance_id=u.id,
        time=round(u.start, 3),
        speaker=u.speaker,
        role=u.role,
        direction=p.direction,  # type: ignore[arg-type]
        from_=f"{before} ({p.baseline:+.2f})",
        to=f"{after} ({u.sentiment:+.2f})",
        cause_utterance_id=cause.id if cause else None,
        evidence=evidence,
        strength=round(p.strength, 3),
    )
