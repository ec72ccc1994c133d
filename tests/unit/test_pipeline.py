"""CallAnalyzer orchestration: stage order, timings, progress, warnings, role hints.

Real decoding, utterance building and text analysis; the transcriber, diarization,
prosody and voiceprint stages are fakes here (the real models run in
tests/integration/test_speech_pipeline.py)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import soundfile as sf

from speech.errors import InputError, UnsupportedMediaError
from speech.settings import SpeechSettings
from speech.pipeline import CallAnalyzer
from speech.transcribe import NO_SPEECH_WARNING
from speech.types import AnalyzeOptions, TranscriptResult, Word

SCRIPT = [
    # (start, end, text, speaker)
    (0.2, 0.6, " Hi,", "S1"), (0.6, 1.0, " thanks", "S1"), (1.0, 1.4, " for", "S1"), (1.4, 1.9, " joining.", "S1"),
    (1.9, 2.3, " What", "S1"), (2.3, 2.6, " are", "S1"), (2.6, 3.0, " your", "S1"), (3.0, 3.6, " goals?", "S1"),
    (4.2, 4.6, " Honestly", "S2"), (4.6, 5.0, " the", "S2"), (5.0, 5.5, " price", "S2"), (5.5, 5.8, " is", "S2"),
    (5.8, 6.2, " too", "S2"), (6.2, 6.9, " high.", "S2"),
]


class FakeTranscriber:
    def __init__(self, words=None, warnings=None, language="en"):
        self.words = SCRIPT if words is None else words
        self.warnings = warnings or []
        self.language = language
        self.seen = None

    def transcribe(self, samples, language=None, on_progress=None, on_words=None):
        self.seen = (samples.shape, language)
        self.calls = getattr(self, "calls", 0) + 1
        if on_progress:
            on_progress("transcribe", 0.5)
            on_progress("transcribe", 1.0)
        # only words where the signal is not muted (per-channel transcription mutes bleed)
        loud = lambda s, e: float(np.abs(samples[int(s * 16000) : int(e * 16000)]).max(initial=0)) > 0.01  # noqa: E731
        words = [Word(s, e, t) for s, e, t, _ in self.words if loud(s, e)]
        return TranscriptResult(self.language if words else "", 0.9, words, samples.shape[0] / 16000, list(self.warnings))


@pytest.fixture
def fakes(monkeypatch):
    calls: dict[str, object] = {}

    def diarize(audio, words, *, num_speakers, max_speakers):
        calls["diarize"] = (audio.samples.shape, num_speakers, max_speakers)
        spk = {s: who for s, _, _, who in SCRIPT}
        for w in words:
            w.speaker = spk[w.start]
        emb = {"S1": np.array([1.0, 0.0]), "S2": np.array([0.0, 1.0])}
        return types.SimpleNamespace(turns=[], speaker_embeddings=emb, warnings=["diarize note"], method="fake")

    def utterance_arousal(mono, utterances):
        calls["arousal"] = mono.shape
        return [0.5 if i % 2 else -0.5 for i in range(len(utterances))]

    def match_speaker(embeddings, enrolled):
        sims = {k: float(v @ enrolled) for k, v in embeddings.items()}
        best = max(sims, key=sims.get)
        return (best if sims[best] > 0.8 else None), sims[best]

    monkeypatch.setitem(sys.modules, "speech.diarize", types.SimpleNamespace(diarize=diarize))
    monkeypatch.setitem(sys.modules, "speech.prosody", types.SimpleNamespace(utterance_arousal=utterance_arousal))
    monkeypatch.setitem(
        sys.modules, "speech.voiceprint",
        types.SimpleNamespace(match_speaker=match_speaker, embed_voice=lambda x: np.array([0.6, 0.8])),
    )
    return calls


@pytest.fixture
def wav(tmp_path):
    """8 s mono at 44.1 kHz."""
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(8 * 44100)).astype(np.float32)
    p = tmp_path / "call.wav"
    sf.write(p, x, 44100)
    return p


@pytest.fixture
def stereo_wav(tmp_path):
    """One party per channel: S1 talks 0-3.7 s on the left, S2 4.1-7 s on the right,
    each channel carrying a -26 dB copy of the other (bleed)."""
    rng = np.random.default_rng(3)
    sr = 16000
    n = 8 * sr
    left, right = 0.001 * rng.standard_normal(n), 0.001 * rng.standard_normal(n)
    left[int(0.1 * sr) : int(3.7 * sr)] += 0.2 * rng.standard_normal(int(3.6 * sr))
    right[int(4.1 * sr) : int(7.0 * sr)] += 0.2 * rng.standard_normal(int(2.9 * sr))
    x = np.stack([left + 0.05 * right, right + 0.05 * left], axis=1).astype(np.float32)
    p = tmp_path / "stereo.wav"
    sf.write(p, x, sr)
    return p


def analyzer(transcriber=None, **settings) -> CallAnalyzer:
    return CallAnalyzer(SpeechSettings(**settings), "/nonexistent", transcriber=transcriber or FakeTranscriber())


def test_audio_stages_in_order_with_timings_and_progress(fakes, wav):
    seen: list[tuple[str, float]] = []
    a = analyzer().analyze(wav, on_progress=lambda s, f: seen.append((s, f)))
    stages = ["decode", "transcribe", "diarize", "utterances", "arousal", "analysis"]
    assert list(a.timings)[: len(stages)] == stages and "total" in a.timings
    assert all(v >= 0 for v in a.timings.values())
    order = list(dict.fromkeys(s for s, _ in seen))
    assert order == stages
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert a.audio.model_dump() == {"duration_s": 8.0, "channels": 1, "sample_rate": 44100}
    assert fakes["diarize"] == ((1, 128000), None, 6)
    assert fakes["arousal"] == (128000,)
    assert [u.speaker for u in a.utterances] == ["S1", "S2"]
    assert [u.arousal for u in a.utterances] == [-0.5, 0.5]
    assert a.language == "en" and a.source == "call.wav"
    assert "diarize note" in a.warnings
    assert a.utterances[1].text == "Honestly the price is too high."
    assert any(m.type == "pricing" for m in a.moments)  # real text analysis ran


def test_options_reach_the_stages(fakes, wav):
    tr = FakeTranscriber()
    analyzer(tr, max_speakers=4).analyze(wav, AnalyzeOptions(num_speakers=3, language="EN"))
    assert tr.seen[1] == "en"
    assert fakes["diarize"][1:] == (3, 4)


def test_rep_speaker_override(fakes, wav):
    a = analyzer().analyze(wav, AnalyzeOptions(rep_speaker="S2"))
    roles = {s.id: (s.role, s.role_evidence) for s in a.speakers}
    assert roles["S2"][0] == "rep" and "chosen as the rep (S2)" in roles["S2"][1]
    assert roles["S1"][0] == "customer"


def test_unknown_rep_speaker_warns(fakes, wav):
    a = analyzer().analyze(wav, AnalyzeOptions(rep_speaker="S9"))
    assert any("the chosen rep 'S9' is not a speaker" in w for w in a.warnings)


def test_enrolled_voice_matches_rep(fakes, wav):
    a = analyzer().analyze(wav, AnalyzeOptions(rep_voice=np.array([0.0, 1.0]), rep_name="bob"))
    assert "voice_match" in a.timings
    rep = next(s for s in a.speakers if s.role == "rep")
    assert rep.id == "S2" and "enrolled sample of bob" in rep.role_evidence and "1.00" in rep.role_evidence


def test_enrolled_voice_without_match_warns(fakes, wav):
    a = analyzer().analyze(wav, AnalyzeOptions(rep_voice=np.array([0.7, 0.7]), rep_name="bob"))
    assert any("no speaker matched the enrolled voice of bob" in w for w in a.warnings)


def test_silence_gives_empty_analysis_with_warning(fakes, wav):
    a = analyzer(FakeTranscriber(words=[], warnings=[NO_SPEECH_WARNING])).analyze(wav)
    assert a.utterances == [] and a.speakers == [] and a.emotion_shifts == []
    assert NO_SPEECH_WARNING in a.warnings
    assert "diarize" not in fakes and "diarize" not in a.timings
    assert a.audio.duration_s == 8.0


def test_dual_mono_is_diarized_as_one_channel(fakes, tmp_path):
    x = (0.1 * np.random.default_rng(1).standard_normal(16000 * 8)).astype(np.float32)
    p = tmp_path / "dual.flac"
    sf.write(p, np.stack([x, x], axis=1), 16000)
    a = analyzer().analyze(p)
    assert fakes["diarize"][0] == (1, 128000)
    assert a.audio.channels == 2  # the source is still reported as it is


def test_progress_callback_errors_do_not_fail_the_analysis(fakes, wav):
    def boom(stage, fraction):
        raise RuntimeError("display gone")

    assert analyzer().analyze(wav, on_progress=boom).utterances


def test_bad_audio_raises_domain_error(fakes, tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("Rep: hi\n")
    with pytest.raises(UnsupportedMediaError):
        analyzer().analyze(p)


def test_invalid_speaker_count(fakes, wav):
    with pytest.raises(InputError):
        analyzer().analyze(wav, AnalyzeOptions(num_speakers=0))


def test_transcript_input(tmp_path):
    p = tmp_path / "call.txt"
    p.write_text(
        "Alice: Hi, thanks for joining. What are your goals for this quarter?\n"
        "Bob: Honestly the price you quoted is too high for us.\n"
        "Alice: I understand. Can we look at the value you would get?\n",
        encoding="utf-8",
    )
    seen: list[str] = []
    a = CallAnalyzer(SpeechSettings(), "/nonexistent").analyze(p, AnalyzeOptions(rep_name="alice"), on_progress=lambda s, f: seen.append(s))
    assert a.audio is None and a.source == "call.txt"
    assert list(a.timings)[:2] == ["parse", "analysis"]
    assert dict.fromkeys(seen).keys() == {"parse": 0, "analysis": 0}.keys()
    alice = next(s for s in a.speakers if s.id == "Alice")
    assert alice.role == "rep" and "rep's name" in alice.role_evidence
    assert len(a.utterances) == 3 and a.language == "en"


def test_transcribe_file_and_embed_voice(fakes, wav):
    an = analyzer()
    res = an.transcribe_file(wav, language="en")
    assert [w.text for w in res.words][:2] == [" Hi,", " thanks"]
    assert an.embed_voice(wav).tolist() == pytest.approx([0.6, 0.8])


def test_two_party_stereo_is_transcribed_per_channel(fakes, stereo_wav, monkeypatch):
    diar_mod = sys.modules["speech.diarize"]
    plain = diar_mod.diarize

    def stereo_diarize(audio, words, **kw):
        res = plain(audio, words, **kw)
        for w in words:
            w.speaker = "S1"  # an energy-based guess that per-channel words must override
        res.speaker_channels = {"S1": 0, "S2": 1}
        return res

    monkeypatch.setattr(diar_mod, "diarize", stereo_diarize)
    tr = FakeTranscriber()
    a = analyzer(tr).analyze(stereo_wav)
    assert tr.calls == 2  # one pass per channel
    assert fakes["diarize"][0] == (2, 128000)
    assert [(u.speaker, u.text) for u in a.utterances] == [
        ("S1", "Hi, thanks for joining. What are your goals?"),
        ("S2", "Honestly the price is too high."),
    ]
    assert [u.id for u in a.utterances] == ["u1", "u2"]


def test_overlap_aware_utterances():
    from speech.pipeline_stereo import overlap_aware_utterances
    from speech.utterances import build_utterances

    def w(s, e, t, spk):
        return Word(s, e, t, speaker=spk)

    words = [
        # S1 talks 0-3 s while S2 overlaps 0.5-1.5 s: neither is cut into pieces
        w(0.0, 0.5, " one", "S1"), w(0.6, 1.0, " two", "S1"), w(1.1, 2.0, " three", "S1"), w(2.1, 3.0, " four.", "S1"),
        w(0.5, 1.0, " yes", "S2"), w(1.0, 1.5, " right", "S2"),
        # S2 answers in S1's pause (3.0-4.0): S1's next words start a new utterance
        w(3.2, 3.8, " really?", "S2"),
        w(4.0, 4.5, " five", "S1"),
    ]
    utts = overlap_aware_utterances(words, build_utterances)
    assert [(u.id, u.speaker, u.text) for u in utts] == [
        ("u1", "S1", "one two three four."),
        ("u2", "S2", "yes right"),
        ("u3", "S2", "really?"),
        ("u4", "S1", "five"),
    ]
    starts = [u.start for u in utts]
    assert starts == sorted(starts)
