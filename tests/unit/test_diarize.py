"""Diarization logic on synthetic signals (stereo bleed, dual mono, silent channel) and
the mono clustering steps with synthetic embeddings. The Resemblyzer encoder (bundled,
CPU, fast) runs for real where speaker embeddings are computed."""

from __future__ import annotations

import numpy as np
import pytest

from speech.errors import InputError
from speech import diarize_mono
from speech.diarize import diarize, words_to_turns
from speech.diarize_stereo import channel_activity
from speech.types import SAMPLE_RATE, DecodedAudio, Word

SR = SAMPLE_RATE


def voice(dur: float, f0: float, seed: int) -> np.ndarray:
    """Speech-like: a harmonic complex with jittered F0, syllable-rate (4 Hz) envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(dur * SR)) / SR
    f = f0 * (1 + 0.05 * np.sin(2 * np.pi * 1.3 * t))
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 12))
    env = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t) ** 2
    return (0.1 * x * env + 0.002 * rng.standard_normal(t.size)).astype(np.float32)


def audio(samples: np.ndarray) -> DecodedAudio:
    samples = samples if samples.ndim == 2 else samples[None]
    return DecodedAudio(samples.astype(np.float32), SR, SR, samples.shape[0], samples.shape[1] / SR)


def words_over(spans: list[tuple[float, float]], per_word: float = 0.4) -> list[Word]:
    out = []
    for a, b in spans:
        t = a
        while t + 0.1 < b:
            out.append(Word(t, min(t + per_word - 0.05, b), "word"))
            t += per_word
    return out


# A speaks 0.5-3.0 and 6.0-8.5; B speaks 3.3-5.7 (and a backchannel 7.0-7.4 over A)
A_SPANS = [(0.5, 3.0), (6.0, 8.5)]
B_SPANS = [(3.3, 5.7)]
BACKCHANNEL = (7.0, 7.4)


def stereo_call(bleed_db: float = -20.0, with_overlap: bool = False) -> np.ndarray:
    n = int(9.5 * SR)
    left, right = np.zeros(n, np.float32), np.zeros(n, np.float32)
    for i, (a, b) in enumerate(A_SPANS):
        left[int(a * SR) : int(a * SR) + int((b - a) * SR)] += voice(b - a, 120, i)
    for i, (a, b) in enumerate(B_SPANS + ([BACKCHANNEL] if with_overlap else [])):
        right[int(a * SR) : int(a * SR) + int((b - a) * SR)] += voice(b - a, 210, 10 + i)
    g = 10 ** (bleed_db / 20)
    delay = 40  # 2.5 ms: a realistic acoustic/electrical crosstalk path
    bleed_l = np.r_[np.zeros(delay, np.float32), right[:-delay]] * g
    bleed_r = np.r_[np.zeros(delay, np.float32), left[:-delay]] * g
    rng = np.random.default_rng(0)
    noise = 0.0005 * rng.standard_normal((2, n)).astype(np.float32)
    return np.stack([left + bleed_l, right + bleed_r]) + noise


@pytest.mark.parametrize("bleed_db", [-30.0, -20.0, -14.0])
def test_stereo_bleed_gives_two_speakers_and_no_phantom_turns(bleed_db):
    words = words_over(A_SPANS[:1]) + words_over(B_SPANS) + words_over(A_SPANS[1:])
    res = diarize(audio(stereo_call(bleed_db)), words)
    assert res.method == "stereo-channels"
    assert all(w.speaker is not None for w in words)
    # A spoke first -> S1 is the left channel
    assert res.speaker_channels == {"S1": 0, "S2": 1}
    for w in words:
        mid = (w.start + w.end) / 2
        expected = "S2" if any(a <= mid <= b for a, b in B_SPANS) else "S1"
        assert w.speaker == expected, (w, bleed_db)
    # exactly one turn per real burst: bleed made no phantom turn on the other channel
    s1 = [t for t in res.turns if t.speaker == "S1"]
    s2 = [t for t in res.turns if t.speaker == "S2"]
    assert len(s1) == 2 and len(s2) == 1, res.turns
    for turn, (a, b) in zip(s1, A_SPANS):
        assert abs(turn.start - a) < 0.15 and abs(turn.end - b) < 0.25
    assert abs(s2[0].start - 3.3) < 0.15 and abs(s2[0].end - 5.7) < 0.25
    assert set(res.speaker_embeddings) == {"S1", "S2"}


def test_stereo_overlapping_backchannel_is_a_turn_but_words_stay_with_the_floor_holder():
    # B's "mm-hm" over A's talk: real overlap shows as B activity, but the ASR words of
    # the mix in that span belong to A, who holds the floor
    words = words_over(A_SPANS[:1]) + words_over(B_SPANS) + words_over(A_SPANS[1:])
    res = diarize(audio(stereo_call(-20.0, with_overlap=True)), words)
    s2 = [t for t in res.turns if t.speaker == "S2"]
    assert any(abs(t.start - BACKCHANNEL[0]) < 0.15 for t in s2), res.turns
    for w in words:
        if w.start >= 6.0:
            assert w.speaker == "S1"


def test_bleed_estimate_close_to_truth():
    act = channel_activity(stereo_call(-20.0))
    assert -26 < act.leak_db[0] < -14 and -26 < act.leak_db[1] < -14


def test_identical_channels_are_treated_as_mono():
    x = np.concatenate([voice(3.0, 150, 1), np.zeros(SR // 2, np.float32), voice(3.0, 150, 2)])
    words = words_over([(0.0, 3.0), (3.5, 6.5)])
    res = diarize(audio(np.stack([x, x])), words)
    assert res.method != "stereo-channels"
    assert all(w.speaker is not None for w in words)


def test_silent_channel_falls_back_to_mono_with_warning():
    x = np.concatenate([voice(3.0, 150, 1), np.zeros(SR // 2, np.float32), voice(3.0, 150, 2)])
    words = words_over([(0.0, 3.0), (3.5, 6.5)])
    res = diarize(audio(np.stack([x, np.zeros_like(x)])), words)
    assert res.method != "stereo-channels"
    assert any("silent" in w for w in res.warnings)


def test_no_words_gives_empty_result():
    res = diarize(audio(voice(2.0, 150, 0)), [])
    assert res.turns == [] and res.method == "single"


def test_one_speaker_requested():
    words = words_over([(0.0, 2.0)])
    res = diarize(audio(voice(2.0, 150, 0)), words, num_speakers=1)
    assert res.method == "single" and {w.speaker for w in words} == {"S1"}
    assert set(res.speaker_embeddings) == {"S1"}
    assert np.isclose(np.linalg.norm(res.speaker_embeddings["S1"]), 1.0, atol=1e-4)


@pytest.mark.parametrize("bad", [0, -2])
def test_bad_speaker_count_is_an_input_error(bad):
    with pytest.raises(InputError):
        diarize(audio(voice(1.0, 150, 0)), words_over([(0, 1)]), num_speakers=bad)


def test_bad_shape_is_an_input_error():
    a = DecodedAudio(np.zeros(16000, np.float32), SR, SR, 1, 1.0)
    with pytest.raises(InputError):
        diarize(a, [])


def test_words_to_turns_merges_short_gaps_only():
    ws = [Word(0, 1, "a", speaker="S1"), Word(1.5, 2, "b", speaker="S1"), Word(4, 5, "c", speaker="S1"), Word(5.1, 6, "d", speaker="S2")]
    turns = words_to_turns(ws)
    assert [(t.start, t.end, t.speaker) for t in turns] == [(0, 2, "S1"), (4, 5, "S1"), (5.1, 6, "S2")]


# ------------------------------------------------------------ mono clustering ----
def _groups(n_a: int, n_b: int, seed: int = 0, spread: float = 0.15) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((2, 256))
    lab = np.r_[np.zeros(n_a, int), np.ones(n_b, int)]
    emb = base[lab] + spread * rng.standard_normal((len(lab), 256)) * np.linalg.norm(base[0]) / 16
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)


def test_viterbi_smooths_flicker_inside_a_phrase_but_keeps_a_backchannel_after_a_pause():
    cents = np.eye(2, 4)
    emb = np.array([cents[0]] * 6 + [cents[1]] + [cents[0]] * 6, dtype=float)
    emb[6] = 0.7 * cents[1] + 0.3 * cents[0]  # some evidence for B
    tight = np.r_[np.inf, np.zeros(12)]
    assert diarize_mono.viterbi_smooth(emb, cents, tight).tolist() == [0] * 13
    paused = tight.copy()
    paused[6] = paused[7] = 0.6  # the word stands alone between pauses: a backchannel
    assert diarize_mono.viterbi_smooth(emb, cents, paused)[6] == 1


def test_fold_small_merges_a_tiny_cluster_into_its_nearest():
    emb = _groups(10, 10)
    labels = np.r_[np.zeros(10, int), np.ones(9, int), [2]]
    out = diarize_mono._fold_small(emb, labels, np.full(20, 0.3))
    assert len(np.unique(out)) == 2 and out[-1] == out[-2]


def _fake_embeddings(monkeypatch, emb: np.ndarray, mel_groups: np.ndarray):
    rng = np.random.default_rng(1)
    frames_per_word = 40
    tilt = np.linspace(-2.0, 2.0, 40)  # the groups differ in spectral shape (different voices)
    mel = np.concatenate([np.exp(rng.normal(loc=g * tilt, scale=1.0, size=(frames_per_word, 40))) for g in mel_groups]).astype(np.float32)
    monkeypatch.setattr(diarize_mono, "word_embeddings", lambda mono, words: (emb, mel))
    return [Word(i * 0.4, i * 0.4 + 0.35, "w") for i in range(len(emb))]


def test_two_separated_groups_give_two_speakers(monkeypatch):
    emb = _groups(20, 20)
    words = _fake_embeddings(monkeypatch, emb, np.r_[np.zeros(20), np.ones(20)])
    res = diarize_mono.cluster_words(np.zeros(SR * 16, np.float32), words)
    assert len(np.unique(res.labels)) == 2
    assert len(np.unique(res.labels[:20])) == 1 and res.labels[0] != res.labels[-1]


def test_one_group_gives_one_speaker(monkeypatch):
    rng = np.random.default_rng(3)
    base = rng.standard_normal(256)
    emb = base + 0.3 * np.linalg.norm(base) / 16 * rng.standard_normal((40, 256))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    words = _fake_embeddings(monkeypatch, emb, np.zeros(40))
    res = diarize_mono.cluster_words(np.zeros(SR * 16, np.float32), words)
    assert len(np.unique(res.labels)) == 1


def test_requested_count_is_honoured(monkeypatch):
    emb = _groups(20, 20)
    words = _fake_embeddings(monkeypatch, emb, np.r_[np.zeros(20), np.ones(20)])
    res = diarize_mono.cluster_words(np.zeros(SR * 16, np.float32), words, num_speakers=2)
    assert len(np.unique(res.labels)) == 2


def test_too_few_words_is_one_speaker():
    words = [Word(0.0, 0.3, "ok"), Word(0.4, 0.7, "yes")]
    res = diarize_mono.cluster_words(voice(1.0, 150, 0), words)
    assert res.labels.tolist() == [0, 0]


def test_quieter_overlapping_talker_without_bleed_is_not_taken_for_bleed():
    n = int(5 * SR)
    left, right = np.zeros(n, np.float32), np.zeros(n, np.float32)
    left[int(0.5 * SR) : int(4.5 * SR)] = voice(4.0, 120, 1)
    right[int(1.0 * SR) : int(3.0 * SR)] = 0.3 * voice(2.0, 220, 2)  # ~10 dB quieter, no copy of left
    x = np.stack([left, right]) + 0.0005 * np.random.default_rng(0).standard_normal((2, n)).astype(np.float32)
    act = channel_activity(x)
    assert act.active[1, 120:280].mean() > 0.9  # right's own talk stays a turn
    assert act.active[1, 320:450].sum() == 0
