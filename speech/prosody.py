"""Vocal arousal from pitch, energy and speaking rate.

Per stretch of speech we measure (``arousal_features``):

* ``f0_median_st``: median F0 of the voiced frames, in semitones re 100 Hz
  (probabilistic YIN, ``librosa.pyin``, run at 8 kHz with a 0.5-semitone grid: ~1 % of
  real time on one core);
* ``f0_range_st``: 10th-90th percentile spread of F0 (semitones);
* ``energy_db``: RMS level (dBFS) of the speech frames (the loudest 70 % of frames,
  so pauses inside the stretch do not dilute it);
* ``rate_sps``: syllables per second: vowel groups of the text when we have it,
  else acoustic syllable nuclei (peaks of the smoothed energy envelope).

Raised arousal (anger, excitement, joy) shows as higher and wider pitch, more energy
and faster speech; low arousal (sadness, calm) the opposite. ``clip_arousal`` combines
the features into one raw score with fixed weights over typical spreads (each
feature divided by its usual within-speaker standard deviation). Voices differ far
more between people than within one person, so the score only means something relative
to the same speaker: ``utterance_arousal`` z-normalises each feature against the
speaker's own utterances, combines them with the same weights, and z-normalises the
result again, so 0 is that speaker's usual level and +1 one standard deviation above.

``None`` is returned for an utterance that is too short (< 0.3 s) or has no voiced
frames, and for every utterance of a speaker with fewer than 2 measurable
utterances (there is no baseline to compare against).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict

import numpy as np

from speech.errors import DependencyMissingError
from speech.types import SAMPLE_RATE, Utterance

log = logging.getLogger(__name__)

PITCH_SR = 8000
HOP_S = 0.01
MIN_UTTERANCE_S = 0.3
MIN_VOICED_FRAMES = 5
#: feature -> (weight, typical within-speaker std): the raw combination is
#: sum(weight * value / std) / sum(weight)
WEIGHTS: dict[str, tuple[float, float]] = {
    "f0_median_st": (1.0, 2.5),
    "f0_range_st": (0.5, 2.0),
    "energy_db": (1.0, 4.0),
    "rate_sps": (0.5, 1.0),
}
FEATURES = tuple(WEIGHTS)

_VOWELS = re.compile(r"[aeiouyäöüåæøéèêàáâíìîóòôúùûœ]+", re.IGNORECASE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _librosa():
    try:
        import librosa
    except ImportError as exc:  # pragma: no cover - install problem
        raise DependencyMissingError("librosa", "vocal arousal (pitch tracking)") from exc
    return librosa


def text_syllables(text: str) -> int:
    """Rough syllable count: CJK characters count one each, else vowel groups."""
    cjk = len(_CJK.findall(text))
    latin = _CJK.sub(" ", text)
    total = cjk
    for tok in re.findall(r"[^\W\d_]+", latin):
        n = len(_VOWELS.findall(tok))
        if n > 1 and tok.lower().endswith("e") and not tok.lower().endswith(("le", "ee")):
            n -= 1  # silent final e (English); a constant bias is harmless after z-scoring
        total += max(1, n)
    return total


def _frame_db(samples: np.ndarray, hop: int) -> np.ndarray:
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0)
    frames = np.asarray(samples[: n * hop], dtype=np.float64).reshape(n, hop)
    return 10 * np.log10((frames**2).mean(axis=1) + 1e-12)


def _acoustic_syllables(db: np.ndarray, speech: np.ndarray) -> int:
    """Syllable nuclei: peaks of the 50 ms-smoothed energy at least 3 dB above the
    surrounding dips, 100 ms apart, inside speech."""
    from scipy.signal import find_peaks

    if db.size < 5:
        return 0
    smooth = np.convolve(db, np.ones(5) / 5, mode="same")
    peaks, _ = find_peaks(smooth, prominence=3.0, distance=10)
    return int(np.sum(speech[peaks])) if peaks.size else 0


def arousal_features(samples: np.ndarray, text: str | None = None, sample_rate: int = SAMPLE_RATE) -> dict[str, float]:
    """Prosodic features of one stretch of speech (see the module docstring); values are
    NaN where they cannot be measured (too short, unvoiced)."""
    librosa = _librosa()
    y = np.asarray(samples, dtype=np.float32).reshape(-1)
    nan = {k: float("nan") for k in FEATURES}
    if y.size < MIN_UTTERANCE_S * sample_rate or not np.isfinite(y).all():
        return nan
    hop = int(HOP_S * sample_rate)
    db = _frame_db(y, hop)
    loud = np.percentile(db, 95)
    speech = db > max(loud - 30.0, -75.0)
    if speech.sum() < MIN_VOICED_FRAMES:
        return nan
    keep = db >= np.percentile(db[speech], 30)
    energy = float(10 * np.log10(np.mean(10 ** (db[speech & keep] / 10))))

    y8 = librosa.resample(y, orig_sr=sample_rate, target_sr=PITCH_SR, res_type="polyphase") if sample_rate != PITCH_SR else y
    f0, voiced, _ = librosa.pyin(
        y8, fmin=65.0, fmax=450.0, sr=PITCH_SR, frame_length=512, hop_length=int(HOP_S * PITCH_SR), resolution=0.5, n_thresholds=20
    )
    f0 = f0[voiced & np.isfinite(f0)]
    feats = dict(nan)
    feats["energy_db"] = energy
    if f0.size >= MIN_VOICED_FRAMES:
        st = 12 * np.log2(f0 / 100.0)
        feats["f0_median_st"] = float(np.median(st))
        feats["f0_range_st"] = float(np.percentile(st, 90) - np.percentile(st, 10))
    if text and text.strip():  # utterance bounds come from ASR words: its duration is talk time
        syll, talk_s = text_syllables(text), len(y) / sample_rate
    else:
        syll, talk_s = _acoustic_syllables(db, speech), float(speech.sum()) * HOP_S
    if talk_s > 0 and syll > 0:
        feats["rate_sps"] = syll / talk_s
    if not np.isfinite(feats["f0_median_st"]):
        return nan  # unvoiced: no arousal claim from energy alone
    return feats


def combine(features: dict[str, float], scale: bool = True) -> float:
    """Weighted mean of the available features (divided by their typical std when
    ``scale``; pass ``scale=False`` for features already z-normalised)."""
    num = den = 0.0
    for k, (w, sd) in WEIGHTS.items():
        v = features.get(k, float("nan"))
        if np.isfinite(v):
            num += w * (v / sd if scale else v)
            den += w
    return num / den if den else float("nan")


def clip_arousal(samples: np.ndarray, text: str | None = None) -> float:
    """Raw (not speaker-normalised) arousal score of one clip; NaN if unmeasurable."""
    return combine(arousal_features(samples, text))


def zscore_within(values: list[float], groups: list[str], min_count: int = 2) -> list[float]:
    """z-score of each finite value against the finite values of its group; NaN where the
    group has fewer than ``min_count`` finite values. A group with no spread gives 0."""
    idx: dict[str, list[int]] = defaultdict(list)
    for i, (v, g) in enumerate(zip(values, groups)):
        if np.isfinite(v):
            idx[g].append(i)
    out = [float("nan")] * len(values)
    for members in idx.values():
        if len(members) < min_count:
            continue
        vals = np.array([values[i] for i in members])
        sd = vals.std()
        for i in members:
            out[i] = float((values[i] - vals.mean()) / sd) if sd > 1e-9 else 0.0
    return out


def utterance_arousal(audio_mono_16k: np.ndarray, utterances: list[Utterance]) -> list[float | None]:
    """Arousal z-score per utterance, against the same speaker's utterances (see the
    module docstring for when it is ``None``)."""
    audio = np.asarray(audio_mono_16k, dtype=np.float32).reshape(-1)
    feats: list[dict[str, float]] = []
    for u in utterances:
        a = max(int(u.start * SAMPLE_RATE), 0)
        b = min(int(u.end * SAMPLE_RATE), audio.size)
        feats.append(arousal_features(audio[a:b], u.text) if b - a >= MIN_UTTERANCE_S * SAMPLE_RATE else {k: float("nan") for k in FEATURES})
    speakers = [u.speaker for u in utterances]
    z_per_feature = {k: zscore_within([f[k] for f in feats], speakers) for k in FEATURES}
    raw = [combine({k: z_per_feature[k][i] for k in FEATURES}, scale=False) for i in range(len(utterances))]
    final = zscore_within(raw, speakers)
    return [None if not np.isfinite(v) else v for v in final]
