"""Enrollment embeddings and speaker matching (speech/voiceprint.py)."""

from __future__ import annotations

import numpy as np
import pytest

from speech.errors import InputError
from speech.voiceprint import embed_voice, match_speaker, speech_mask

SR = 16000


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_match_picks_the_closest_speaker_above_threshold():
    rng = np.random.default_rng(0)
    rep = _unit(rng.standard_normal(256))
    other = _unit(rng.standard_normal(256))
    noisy_rep = _unit(rep + 0.2 * _unit(rng.standard_normal(256)))
    best, sim = match_speaker({"S1": other, "S2": noisy_rep}, rep)
    assert best == "S2" and sim > 0.9


def test_no_match_under_threshold():
    rng = np.random.default_rng(1)
    best, sim = match_speaker({"S1": _unit(rng.standard_normal(256))}, _unit(rng.standard_normal(256)))
    assert best is None and sim < 0.5


def test_no_speakers():
    assert match_speaker({}, np.ones(256)) == (None, 0.0)


def test_threshold_is_a_parameter():
    a = _unit([1.0, 0.0])
    b = _unit([0.8, 0.6])  # cosine 0.8
    assert match_speaker({"S1": b}, a, threshold=0.9)[0] is None
    assert match_speaker({"S1": b}, a, threshold=0.7)[0] == "S1"


def _speechlike(dur: float, f0: float = 140.0) -> np.ndarray:
    t = np.arange(int(dur * SR)) / SR
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 10))
    return (0.1 * x * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2)).astype(np.float32)


@pytest.mark.parametrize(
    "samples",
    [np.zeros(0, np.float32), np.zeros(5 * SR, np.float32), _speechlike(1.0), np.full(3 * SR, np.nan, np.float32)],
    ids=["empty", "silence", "one-second", "nan"],
)
def test_too_little_speech_is_an_input_error(samples):
    with pytest.raises(InputError):
        embed_voice(samples)


def test_enrollment_embedding_is_unit_norm_and_stable():
    x = _speechlike(4.0)
    e1 = embed_voice(x)
    e2 = embed_voice(np.concatenate([np.zeros(SR, np.float32), x]))  # leading silence ignored
    assert e1.shape == (256,)
    assert np.linalg.norm(e1) == pytest.approx(1.0, abs=1e-4)
    assert float(e1 @ e2) > 0.95


def test_speech_mask_ignores_silence():
    x = np.concatenate([np.zeros(SR, np.float32), _speechlike(1.0)])
    m = speech_mask(x)
    assert m[:90].sum() == 0 and m[110:].mean() > 0.8
