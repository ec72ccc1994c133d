"""Vocal arousal features and per-speaker normalisation on synthetic speech-like signals."""

from __future__ import annotations

import numpy as np
import pytest

from speech.prosody import arousal_features, clip_arousal, text_syllables, utterance_arousal, zscore_within
from speech.types import Utterance

SR = 16000


def speechlike(dur: float, f0: float, amp: float, rate_hz: float = 4.0, seed: int = 0) -> np.ndarray:
    """Harmonic voice with pitch movement, syllable envelope at ``rate_hz``, short pauses."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(dur * SR)) / SR
    f = f0 * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 10))
    env = np.clip(np.sin(np.pi * rate_hz * t), 0, None) ** 2  # rate_hz syllables per second
    return (amp * x * env + 0.001 * rng.standard_normal(t.size)).astype(np.float32)


def test_features_track_pitch_and_level():
    calm = arousal_features(speechlike(2.0, 110, 0.05))
    loud = arousal_features(speechlike(2.0, 180, 0.2))
    assert loud["f0_median_st"] - calm["f0_median_st"] == pytest.approx(12 * np.log2(180 / 110), abs=1.0)
    assert loud["energy_db"] - calm["energy_db"] == pytest.approx(20 * np.log10(4), abs=1.5)


def test_acoustic_rate_follows_syllable_rate():
    slow = arousal_features(speechlike(3.0, 140, 0.1, rate_hz=2.5))["rate_sps"]
    fast = arousal_features(speechlike(3.0, 140, 0.1, rate_hz=5.0))["rate_sps"]
    assert fast > 1.5 * slow


def test_louder_higher_faster_clip_scores_higher():
    assert clip_arousal(speechlike(2.0, 190, 0.25, 5.0)) > clip_arousal(speechlike(2.0, 110, 0.05, 3.0))


@pytest.mark.parametrize(
    "samples",
    [np.zeros(int(0.2 * SR), np.float32), np.zeros(2 * SR, np.float32),
     (0.05 * np.random.default_rng(0).standard_normal(2 * SR)).astype(np.float32)],
    ids=["too-short", "silence", "unvoiced-noise"],
)
def test_unmeasurable_clip_is_nan(samples):
    assert np.isnan(clip_arousal(samples))


def test_text_syllables():
    assert text_syllables("Hello there, how are you?") == 6
    assert text_syllables("我们今天开会") == 6
    assert text_syllables("") == 0


def test_zscore_within_groups():
    z = zscore_within([1.0, 3.0, 10.0, float("nan"), 5.0], ["a", "a", "b", "b", "c"])
    assert z[0] == pytest.approx(-1.0) and z[1] == pytest.approx(1.0)
    assert all(np.isnan(v) for v in z[2:])  # b has one finite value, c one value


def test_utterance_arousal_is_per_speaker_and_none_where_unmeasurable():
    # speaker A: two calm utterances and one excited; speaker B: one loud deep voice
    # (B's absolute level must not matter to A's scores, and B alone has no baseline)
    parts = [
        ("A", speechlike(1.5, 120, 0.05, 3.0, 1), "well I think that is fine"),
        ("B", speechlike(1.5, 90, 0.3, 3.0, 2), "we need a better price"),
        ("A", speechlike(1.5, 125, 0.05, 3.0, 3), "let me check the numbers"),
        ("A", speechlike(1.5, 190, 0.2, 5.0, 4), "no that is not what we agreed"),
        ("A", np.zeros(int(0.2 * SR), np.float32), "ok"),
    ]
    audio, utts, t = [], [], 0.0
    for i, (spk, x, text) in enumerate(parts):
        audio += [x, np.zeros(SR // 2, np.float32)]
        utts.append(Utterance(id=f"u{i}", speaker=spk, start=t, end=t + len(x) / SR, text=text))
        t += len(x) / SR + 0.5
    scores = utterance_arousal(np.concatenate(audio), utts)
    assert len(scores) == len(utts)
    assert scores[1] is None  # B: a single utterance, no baseline
    assert scores[4] is None  # 0.2 s: too short
    assert scores[3] > 1.0 and scores[0] < 0 and scores[2] < 0
    a = [scores[i] for i in (0, 2, 3)]
    assert np.mean(a) == pytest.approx(0.0, abs=1e-6)


def test_empty_utterance_list():
    assert utterance_arousal(np.zeros(SR, np.float32), []) == []
