"""Diarization on the real shared clips with the real bundled models (Whisper base for
the words, Resemblyzer for the voices). Whisper words are cached in the temp dir by
benchmarks/diarization.py, so a warm machine skips re-transcribing; a cold one runs it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench(shared_data):
    import benchmarks.diarization as b

    return b


def _check_invariants(words, res):
    assert all(w.speaker is not None for w in words)
    ids = list(dict.fromkeys(w.speaker for w in words))
    assert ids == [f"S{i + 1}" for i in range(len(ids))]  # S1, S2, ... by first appearance
    for t in res.turns:
        assert t.end >= t.start
    for e in res.speaker_embeddings.values():
        assert np.linalg.norm(e) == pytest.approx(1.0, abs=1e-3)


def test_stereo_clip_two_speakers_der_under_5_percent(bench):
    from benchmarks.der import load_rttm, score
    from speech.diarize import diarize

    stereo = bench.load_audio(bench.DIAR / "stereo_diarization.wav")
    words = bench.asr_words(stereo.mean(axis=0))
    assert words
    res = diarize(bench.decoded(stereo), words)
    _check_invariants(words, res)
    assert res.method == "stereo-channels"
    assert {t.speaker for t in res.turns} == {"S1", "S2"}
    assert set(res.speaker_channels.values()) == {0, 1}
    r = score(load_rttm(bench.DIAR / "stereo_diarization.channel_energy.rttm"), bench.hyp_segments(res.turns))
    assert r.der <= 0.05, r


def test_mono_call_der_under_20_percent(bench):
    from benchmarks.der import load_rttm, score
    from speech.diarize import diarize

    mono = bench.load_audio(bench.DIAR / "sample.wav")
    words = bench.asr_words(mono.mean(axis=0))
    res = diarize(bench.decoded(mono), words)
    _check_invariants(words, res)
    assert res.method == "mono-clustering"
    assert len(res.speaker_embeddings) == 2
    r = score(load_rttm(bench.DIAR / "sample.rttm"), bench.hyp_segments(res.turns))
    assert r.der <= 0.20, r
    base = score(load_rttm(bench.DIAR / "sample.rttm"), bench.naive_baseline(mono.mean(axis=0)))
    assert r.der < base.der


def test_dual_mono_file_is_one_speaker(bench):
    # jfk.flac is stereo with the same signal on both channels: one speaker
    from speech.diarize import diarize

    jfk = bench.load_audio(bench.SHARED / "wer" / "jfk.flac")
    assert jfk.shape[0] == 2
    words = bench.asr_words(jfk.mean(axis=0))
    res = diarize(bench.decoded(jfk), words)
    _check_invariants(words, res)
    assert res.method != "stereo-channels"
    assert {w.speaker for w in words} == {"S1"}


def test_three_speakers_found_and_enrolled_voice_matched(bench):
    from benchmarks.der import score
    from speech.diarize import diarize
    from speech.voiceprint import embed_voice, match_speaker

    mono, ref = bench.mixtures()["3 spk: spk1/spk2/jfk"]
    words = bench.asr_words(mono)
    res = diarize(bench.decoded(mono), words)
    _check_invariants(words, res)
    assert len(res.speaker_embeddings) == 3
    assert score(ref, bench.hyp_segments(res.turns)).confusion <= 0.10
    # enrollment from clips NOT in the mixture (spk1_snt4/5) finds spk1's cluster (S1)
    sample = np.concatenate([bench.load_audio(bench.SHARED / "wer" / f"spk1_snt{i}.wav")[0] for i in (4, 5)])
    best, sim = match_speaker(res.speaker_embeddings, embed_voice(sample))
    assert best == "S1" and sim >= 0.8
    # a voice that is not in the call matches nobody
    other = bench.load_audio(bench.SHARED / "wer" / "librispeech-1995-1837-0001.wav")[0]
    assert match_speaker(res.speaker_embeddings, embed_voice(other))[0] is None
