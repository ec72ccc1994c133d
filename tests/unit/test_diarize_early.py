"""Background diarization features (speech.diarize_early) and the block-wise mel."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from speech.types import DecodedAudio, Word

SR = 16000


def _audio(x: np.ndarray) -> DecodedAudio:
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    return DecodedAudio(samples=x, sample_rate=SR, source_sample_rate=SR, source_channels=x.shape[0],
                        duration_s=x.shape[1] / SR, warnings=[])


def _voice(seconds: float, f0: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    return (0.1 * np.sin(2 * np.pi * f0 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.mark.parametrize("n", [0, 100, 399, 400, 401, SR * 7 + 77])
@pytest.mark.parametrize("block", [7, 1000])
def test_block_mel_equals_resemblyzer_whole_recording(n, block):
    from resemblyzer.audio import wav_to_mel_spectrogram

    from speech.voiceprint import mel_frames

    x = (np.random.default_rng(n).standard_normal(n) * 0.01).astype(np.float32)
    w = np.pad(x, (0, max(0, 400 - n)))
    rms = float(np.sqrt(np.mean(w.astype(np.float64) ** 2)))
    if rms > 1e-6 and 20 * np.log10(rms) < -30:
        w = w * np.float32(10 ** ((-30 - 20 * np.log10(rms)) / 20))
    ref = wav_to_mel_spectrogram(w)
    got = mel_frames(x, block_frames=block)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-6 * ref.max())


def test_streamed_words_embed_the_same_windows_as_afterwards():
    from speech.diarize_early import EarlyDiarization
    from speech.diarize_mono import word_embeddings

    x = np.concatenate([_voice(3.0, 120), np.zeros(SR, np.float32), _voice(3.0, 220, 1)])
    words = [Word(text="w", start=s, end=s + 0.3) for s in (0.2, 0.6, 1.0, 1.4, 2.5, 4.2, 4.6, 5.0, 5.4, 6.5)]
    early = EarlyDiarization(_audio(x)).start()
    early.feed(words[:5])
    early.feed(words[5:])
    import time

    deadline = time.time() + 60
    while len(early.features.windows) < len(words) and time.time() < deadline:
        time.sleep(0.05)
    feats = early.finish()
    assert feats is not None and feats.mel is not None and len(feats.windows) == len(words)
    assert feats.tiled  # the isolated short word at 2.5 s was embedded from its own audio
    with_early, _ = word_embeddings(x, words, feats)
    without, _ = word_embeddings(x, words)
    np.testing.assert_allclose(with_early, without, atol=1e-5)


def test_stereo_call_gets_channel_features_and_same_result():
    from speech.diarize import diarize
    from speech.diarize_early import EarlyDiarization

    a, b = _voice(4.0, 120), _voice(4.0, 220, 1)
    left = np.concatenate([a, np.zeros(4 * SR, np.float32)])
    right = np.concatenate([np.zeros(4 * SR, np.float32), b])
    audio = _audio(np.stack([left, right]))
    feats = EarlyDiarization(audio).start().finish()
    assert feats is not None and feats.mel is None and feats.channel_mels and feats.activity is not None
    mk = lambda: [Word(text="w", start=s, end=s + 0.3) for s in (0.5, 1.5, 2.5, 4.5, 5.5, 6.5)]  # noqa: E731
    w1, w2 = mk(), mk()
    r1 = diarize(audio, w1, early=feats)
    r2 = diarize(audio, w2)
    assert [w.speaker for w in w1] == [w.speaker for w in w2] == ["S1"] * 3 + ["S2"] * 3
    for k in r2.speaker_embeddings:
        np.testing.assert_allclose(r1.speaker_embeddings[k], r2.speaker_embeddings[k], atol=1e-5)


def test_failure_in_background_falls_back(monkeypatch):
    import speech.voiceprint as vp
    from speech.diarize_early import EarlyDiarization

    def boom(*a, **k):
        raise RuntimeError("broken mel")

    monkeypatch.setattr(vp, "mel_frames", boom)
    assert EarlyDiarization(_audio(_voice(1.0, 150))).start().finish() is None


def test_torch_threads_restored():
    import torch

    from speech.diarize_early import EarlyDiarization

    before = torch.get_num_threads()
    EarlyDiarization(_audio(_voice(1.0, 150))).start().finish()
    assert torch.get_num_threads() == before
