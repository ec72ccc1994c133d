"""The real pipeline (bundled Whisper base, real diarization/prosody/text analysis) on
the short real clips of ../shared/data/audio. One model load per session."""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf

from speech.settings import SpeechSettings
from speech.decode import decode_audio
from speech.pipeline import CallAnalyzer
from speech.transcribe import NO_SPEECH_WARNING

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def analyzer() -> CallAnalyzer:
    from conftest import MODEL_CACHE

    return CallAnalyzer(SpeechSettings(), MODEL_CACHE)


@pytest.fixture(scope="session")
def audio_dir(shared_data):
    return shared_data / "audio"


def normalise(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def wer(ref: str, hyp: str) -> float:
    return edit_rate(normalise(ref), normalise(hyp))


def edit_rate(r: list[str], h: list[str]) -> float:
    d = np.arange(len(h) + 1)
    for i, rw in enumerate(r, start=1):
        prev, d[0] = d.copy(), i
        for j, hw in enumerate(h, start=1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (rw != hw))
    return d[len(h)] / max(len(r), 1)


JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


def check_invariants(a, duration: float) -> None:
    starts = [u.start for u in a.utterances]
    assert starts == sorted(starts), "utterances must be in time order"
    assert [u.id for u in a.utterances] == [f"u{i}" for i in range(1, len(a.utterances) + 1)]
    speakers = {s.id for s in a.speakers}
    for u in a.utterances:
        assert 0.0 <= u.start <= u.end <= duration + 0.05, u
        assert u.speaker in speakers and u.speaker != "S?"
        assert u.text.strip()
        assert u.sentiment is None or -1.0 <= u.sentiment <= 1.0
    talk = {s.id: s.talk_s for s in a.speakers}
    for spk, t in talk.items():
        own = sum(u.end - u.start for u in a.utterances if u.speaker == spk)
        assert t == pytest.approx(own, abs=0.05)
    assert sum(talk.values()) <= duration * max(len(talk), 1) + 0.1
    for stage in ("decode", "transcribe", "diarize", "utterances", "arousal", "analysis", "total"):
        assert a.timings[stage] >= 0.0


def test_jfk_wer_and_invariants(analyzer, audio_dir):
    a = analyzer.analyze(audio_dir / "wer" / "jfk.flac")
    text = " ".join(u.text for u in a.utterances)
    assert wer(JFK, text) <= 0.10, text
    assert a.language == "en"
    assert a.audio.duration_s == pytest.approx(11.0, abs=0.05)
    assert a.audio.sample_rate == 44100 and a.audio.channels == 2
    assert len(a.speakers) == 1  # dual-mono stereo: one voice, not two channels
    check_invariants(a, a.audio.duration_s)


def test_two_person_mono_call(analyzer, audio_dir, monkeypatch):
    import speech.diarize

    seen: list = []
    real = speech.diarize.diarize

    def spy(audio, words, **kw):  # keep the ASR words the pipeline diarizes
        res = real(audio, words, **kw)
        seen.extend(words)
        return res

    monkeypatch.setattr(speech.diarize, "diarize", spy)
    a = analyzer.analyze(audio_dir / "diarization" / "sample.wav")
    check_invariants(a, 30.0)
    assert len(a.speakers) == 2
    assert a.audio.channels == 1 and a.audio.sample_rate == 16000
    assert any("hello" in u.text.lower() for u in a.utterances)
    # word level: monotonic starts, positive durations, every word has a speaker
    assert len(seen) > 40
    assert all(w2.start >= w1.start for w1, w2 in zip(seen, seen[1:]))
    assert all(0 <= w.start <= w.end <= 30.0 for w in seen)
    assert all(w.speaker in {s.id for s in a.speakers} for w in seen)


def test_stereo_channels_are_two_speakers(analyzer, audio_dir, shared_data):
    a = analyzer.analyze(audio_dir / "diarization" / "stereo_diarization.wav")
    assert len(a.speakers) == 2
    refs = dict(
        line.split("\t", 1)
        for line in (audio_dir / "diarization" / "stereo_diarization.channel_refs.tsv").read_text().splitlines()
        if line and not line.startswith("#")
    )
    by_speaker = {s.id: " ".join(u.text for u in a.utterances if u.speaker == s.id) for s in a.speakers}
    texts = sorted(by_speaker.values(), key=len, reverse=True)
    assert wer(refs["left_channel_0"], texts[0]) <= 0.2, texts
    assert wer(refs["right_channel_1"], texts[1]) <= 0.2, texts
    starts = [u.start for u in a.utterances]
    assert starts == sorted(starts)


def _convert(src, dst, codec: str, fmt: str | None = None, rate: int | None = None) -> None:
    """Re-encode a real clip with PyAV (what a phone or browser would upload)."""
    import av

    audio = decode_audio(src, max_duration_s=600)
    x = audio.samples[0]
    with av.open(str(dst), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate or 48000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(x.reshape(1, -1).astype(np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=stream.rate)
        for fr in resampler.resample(frame) + resampler.resample(None):
            for pkt in stream.encode(fr):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)


@pytest.mark.parametrize(
    "name,codec,fmt,rate",
    [("jfk.mp3", "libmp3lame", None, 44100), ("jfk.ogg", "libopus", "ogg", 48000),
     ("jfk.m4a", "aac", "mp4", 44100), ("jfk.webm", "libopus", "webm", 48000)],
)
def test_compressed_formats(analyzer, audio_dir, tmp_path, name, codec, fmt, rate):
    dst = tmp_path / name
    _convert(audio_dir / "wer" / "jfk.flac", dst, codec, fmt, rate)
    audio = decode_audio(dst, max_duration_s=600)
    assert audio.source_sample_rate == rate and audio.channels == 1
    assert audio.duration_s == pytest.approx(11.0, abs=0.15)
    res = analyzer.transcribe_file(dst)
    text = "".join(w.text for w in res.words)
    assert wer(JFK, text) <= 0.10, text


def test_silence_only(analyzer, tmp_path):
    p = tmp_path / "silence.wav"
    sf.write(p, np.zeros(16000 * 6, np.float32), 16000)
    a = analyzer.analyze(p)
    assert a.utterances == [] and a.speakers == [] and a.emotion_shifts == []
    assert NO_SPEECH_WARNING in a.warnings
    assert a.audio.duration_s == pytest.approx(6.0)


def test_music_only(analyzer, tmp_path):
    sr = 22050
    t = np.arange(sr * 6) / sr
    chord = sum(0.12 * np.sin(2 * np.pi * f * t * (1 + 0.003 * np.sin(2 * np.pi * 5 * t))) for f in (261.6, 329.6, 392.0))
    beat = 0.6 + 0.4 * (np.sin(2 * np.pi * 2 * t) > 0)
    p = tmp_path / "music.flac"
    sf.write(p, np.stack([chord * beat, chord * beat[::-1]], axis=1).astype(np.float32), sr)
    a = analyzer.analyze(p)
    assert a.utterances == [] and NO_SPEECH_WARNING in a.warnings


def test_mandarin_detected(analyzer, audio_dir):
    res = analyzer.transcribe_file(audio_dir / "wer" / "aishell-BAC009S0724W0121.wav")
    assert res.language == "zh"
    text = re.sub(r"[\W_]", "", "".join(w.text for w in res.words))
    ref = "广州市房地产中介协会分析"
    assert edit_rate(list(ref), list(text)) <= 0.3, text  # simplified script, as configured



def test_early_diarization_matches_diarizing_afterwards(analyzer, audio_dir, monkeypatch):
    """Voice windows embedded during transcription (speech.diarize_early) give exactly
    the diarization that computing everything after transcription gives."""
    import speech.diarize
    from speech.diarize import diarize as real
    from speech.types import Word

    captured: dict = {}

    def spy(audio, words, **kw):
        captured["words"] = [(w.start, w.end) for w in words]
        captured["early"] = kw.get("early")
        res = real(audio, words, **kw)
        captured["speakers"] = [w.speaker for w in words]
        captured["embeddings"] = res.speaker_embeddings
        return res

    monkeypatch.setattr(speech.diarize, "diarize", spy)
    path = audio_dir / "diarization" / "sample.wav"
    analyzer.analyze(path)
    early = captured["early"]
    assert early is not None and early.mel is not None
    # the background embedded most word windows before transcription ended
    assert len(early.windows) >= 0.5 * len(captured["words"])

    words = [Word(text="w", start=s, end=e) for s, e in captured["words"]]
    after = real(decode_audio(path, max_duration_s=600), words)  # no early features: everything computed now
    assert [w.speaker for w in words] == captured["speakers"]
    assert after.speaker_embeddings.keys() == captured["embeddings"].keys()
    for k, e in after.speaker_embeddings.items():
        np.testing.assert_allclose(captured["embeddings"][k], e, atol=1e-5)
