"""Emotional-shift detection against each speaker's own baseline.

Two modes (``ShiftConfig.mode``):

``label`` (default). The speaker's baseline is an exponentially weighted mean of their
previous utterances' sentiment (``alpha`` = 1.0 by default: their previous scored
utterance, which is how MELD defines a gold shift). An utterance is a shift when its
coarse polarity label (positive / neutral / negative, band ``speech.sentiment.NEUTRAL_BAND``)
differs from the baseline's label and the change is larger than ``margin``::

    delta = sentiment - baseline
    score = delta * (1 + arousal_weight * max(z_a, 0))          z_a as below
    shift if label(sentiment) != label(baseline) and |score| > margin

A label change says a shift happened; the margin drops changes that only graze the
band edge; a simultaneous rise in arousal makes a change count more.

``zscore`` (the first version, kept for comparison).
For every speaker we keep an exponentially weighted running mean and variance of their
previous utterances' sentiment (and, when the audio pipeline filled it, vocal arousal).
An utterance is a shift when its sentiment departs from that baseline by more than
``threshold`` of the speaker's own variability::

    z_v  = (sentiment - mean_v) / max(std_v, sigma_floor)
    z_a  = (arousal  - mean_a) / max(std_a, arousal_sigma_floor)        (0 if unknown)
    score = z_v * (1 + arousal_weight * max(z_a, 0))

Valence gives the direction (a shift is a cooling or a warming); a rise in arousal at the
same moment makes it stronger (tension, excitement), but arousal alone cannot say which
way a speaker moved, so no shift is flagged without sentiment. A speaker's first
utterance only starts their baseline. The likely cause is the other party's most recent
utterance before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from speech.phrases.text import fmt_ts, quote
from speech.sentiment import polarity_label
from speech.types import EmotionShift, Utterance


MODES = ("label", "zscore")


@dataclass(frozen=True)
class ShiftConfig:
    mode: str = "label"
    #: weight of the newest utterance in the running baseline (EWMA); None = 1.0 for
    #: ``label`` (previous utterance), 0.5 for ``zscore``
    alpha: float | None = None
    #: ``label`` mode: minimum |sentiment change| (arousal-weighted) of a label change
    margin: float = 0.0
    #: ``zscore`` mode: departure needed, in units of the speaker's own standard deviation
    threshold: float = 0.5
    #: lower bound of the sentiment std (few utterances give no usable std)
    sigma_floor: float = 0.25
    arousal_weight: float = 0.5
    arousal_sigma_floor: float = 0.5
    #: utterances a speaker needs before their baseline counts
    min_history: int = 1

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"ShiftConfig.mode must be one of {MODES}, not {self.mode!r}")
        if self.alpha is not None and not 0.0 < self.alpha <= 1.0:
            raise ValueError("ShiftConfig.alpha must be in (0, 1]")

    @property
    def weight(self) -> float:
        if self.alpha is not None:
            return self.alpha
        return 1.0 if self.mode == "label" else 0.5


@dataclass
class _Baseline:
    n: int = 0
    mean: float = 0.0
    var: float = 0.0
    n_a: int = 0
    mean_a: float = 0.0
    var_a: float = 0.0

    def update(self, value: float, arousal: float | None, alpha: float) -> None:
        if self.n == 0:
            self.mean, self.var = value, 0.0
        else:
            diff = value - self.mean
            incr = alpha * diff
            self.mean += incr
            self.var = (1 - alpha) * (self.var + diff * incr)
        self.n += 1
        if arousal is not None:
            if self.n_a == 0:
                self.mean_a, self.var_a = arousal, 0.0
            else:
                diff = arousal - self.mean_a
                incr = alpha * diff
                self.mean_a += incr
                self.var_a = (1 - alpha) * (self.var_a + diff * incr)
            self.n_a += 1


def shift_score(base: _Baseline, sentiment: float, arousal: float | None, cfg: ShiftConfig) -> tuple[float, float]:
    """(signed combined score, arousal z) of one utterance against a baseline: the
    sentiment change (``label``) or its z-score (``zscore``), arousal-weighted."""
    if cfg.mode == "label":
        z_v = sentiment - base.mean
    else:
        z_v = (sentiment - base.mean) / max(math.sqrt(base.var), cfg.sigma_floor)
    z_a = 0.0
    if arousal is not None and base.n_a >= cfg.min_history:
        z_a = (arousal - base.mean_a) / max(math.sqrt(base.var_a), cfg.arousal_sigma_floor)
    return z_v * (1.0 + cfg.arousal_weight * max(z_a, 0.0)), z_a


def is_shift(base: _Baseline, sentiment: float, score: float, cfg: ShiftConfig) -> bool:
    if cfg.mode == "label":
        return polarity_label(sentiment) != polarity_label(base.mean) and abs(score) > cfg.margin
    return abs(score) > cfg.threshold


def detect_shifts(utterances: list[Utterance], config: ShiftConfig | None = None) -> list[EmotionShift]:
    """Shifts in time order. Utterances need ``sentiment`` (None ones are skipped and do
    not move the baseline) and may carry ``arousal`` and ``role``."""
    cfg = config or ShiftConfig()
    ordered = sorted(utterances, key=lambda u: (u.start, u.end))
    baselines: dict[str, _Baseline] = {}
    shifts: list[EmotionShift] = []
    for idx, u in enumerate(ordered):
        if u.sentiment is None:
            continue
        base = baselines.setdefault(u.speaker, _Baseline())
        if base.n >= cfg.min_history:
            score, z_a = shift_score(base, u.sentiment, u.arousal, cfg)
            if is_shift(base, u.sentiment, score, cfg):
                shifts.append(_make_shift(ordered, idx, base, score, z_a))
        base.update(u.sentiment, u.arousal, cfg.weight)
    return shifts


def find_cause(ordered: list[Utterance], idx: int) -> Utterance | None:
    """The other party's most recent utterance that started before ``ordered[idx]``."""
    me = ordered[idx]
    for prev in reversed(ordered[:idx]):
        if prev.speaker != me.speaker and prev.start <= me.start:
            return prev
    return None


def _make_shift(ordered: list[Utterance], idx: int, base: _Baseline, score: float, z_a: float) -> EmotionShift:
    u = ordered[idx]
    assert u.sentiment is not None
    direction = "negative" if score < 0 else "positive"
    cause = find_cause(ordered, idx)
    who = u.role if u.role != "unknown" else f"speaker {u.speaker}"
    verb = "fell" if direction == "negative" else "rose"
    evidence = (
        f"{who} sentiment {verb} from {polarity_label(base.mean)} {base.mean:+.2f} (their baseline) to "
        f"{polarity_label(u.sentiment)} {u.sentiment:+.2f} "
        f"at {fmt_ts(u.start)}"
    )
    if z_a > 0.5:
        evidence += f", arousal {z_a:+.1f} sd above their baseline"
    if cause is not None:
        other = cause.role if cause.role != "unknown" else f"speaker {cause.speaker}"
        evidence += f' after {other} said "{quote(cause.text)}" ({cause.id}, {fmt_ts(cause.start)})'
    else:
        evidence += " (no earlier utterance by another speaker)"
    evidence += f'; {u.id}: "{quote(u.text)}"'
    return EmotionShift(
        utterance_id=u.id,
        time=round(u.start, 3),
        speaker=u.speaker,
        role=u.role,
        direction=direction,
        from_=f"{polarity_label(base.mean)} ({base.mean:+.2f})",
        to=f"{polarity_label(u.sentiment)} ({u.sentiment:+.2f})",
        cause_utterance_id=cause.id if cause else None,
        evidence=evidence,
        magnitude=round(abs(score), 3),
    )
