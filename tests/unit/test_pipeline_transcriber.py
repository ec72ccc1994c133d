"""Transcriber logic around faster-whisper, with a fake model (the real one runs in
tests/integration/test_speech_pipeline.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from coach.settings import SpeechSettings
from speech.transcribe import NO_SPEECH_WARNING, Transcriber
from speech.types import SAMPLE_RATE


@dataclass
class FW:  # faster_whisper.transcribe.Word
    start: float
    end: float
    word: str
    probability: float = 0.9


@dataclass
class Seg:
    start: float
    end: float
    text: str
    words: list[FW] = field(default_factory=list)


@dataclass
class Info:
    language: str
    language_probability: float


class FakeModel:
    """Returns one segment per call whose words sit at 1 s and 2 s of the chunk."""

    def __init__(self, language="en", prob=0.95, text=" hello world", empty=False):
        self.calls: list[dict] = []
        self.language, self.prob, self.text, self.empty = language, prob, text, empty

    def transcribe(self, audio, language=None, **opts):
        self.calls.append({"n": len(audio), "language": language, **opts})
        if self.empty:
            return iter([]), Info(self.language, self.prob)
        toks = self.text.split(" ")[1:]
        words = [FW(1.0 + i, 1.5 + i, " " + t) for i, t in enumerate(toks)]
        return iter([Seg(1.0, 1.0 + len(toks), self.text, words)]), Info(language or self.language, self.prob)


def make(model, **settings) -> Transcriber:
    return Transcriber(SpeechSettings(**settings), "/nonexistent", model=model)


def test_words_and_language():
    model = FakeModel()
    res = make(model).transcribe(np.zeros(SAMPLE_RATE * 5, np.float32))
    assert [w.text for w in res.words] == [" hello", " world"]
    assert res.language == "en" and res.language_probability == pytest.approx(0.95)
    assert res.duration_s == pytest.approx(5.0)
    assert res.warnings == []
    call = model.calls[0]
    assert call["language"] is None and call["vad_filter"] is True and call["word_timestamps"] is True
    assert call["beam_size"] == 5 and "hotwords" not in call  # equal to bare faster-whisper


def test_on_words_gets_each_segment_as_decoded_and_a_failing_callback_is_harmless():
    seen: list[list[str]] = []
    model = FakeModel()
    res = make(model, chunk_s=10.0).transcribe(
        np.zeros(SAMPLE_RATE * 25, np.float32), on_words=lambda ws: seen.append([w.text for w in ws])
    )
    assert len(seen) == len(model.calls) >= 2  # one callback per decoded segment
    assert sum(seen, []) == [w.text for w in res.words]

    def broken(_words):
        raise ValueError("sink broke")

    res = make(FakeModel()).transcribe(np.zeros(SAMPLE_RATE * 5, np.float32), on_words=broken)
    assert [w.text for w in res.words] == [" hello", " world"]


def test_long_audio_is_chunked_with_offsets_and_language_kept():
    model = FakeModel(language="de")
    sr = SAMPLE_RATE
    res = make(model, chunk_s=10.0).transcribe(np.zeros(sr * 25, np.float32))
    assert len(model.calls) >= 2
    assert model.calls[0]["language"] is None
    assert all(c["language"] == "de" for c in model.calls[1:])  # detected once, then forced
    starts = [w.start for w in res.words]
    assert starts == sorted(starts)
    assert max(starts) > 10.0  # words of later chunks are on the recording's clock
    assert all(w.end >= w.start for w in res.words)


def test_vocabulary_becomes_hotwords():
    model = FakeModel()
    make(model, vocabulary=["Acme Cloud", " ", "Globex"]).transcribe(np.zeros(SAMPLE_RATE, np.float32))
    assert model.calls[0]["hotwords"] == "Acme Cloud, Globex"


def test_forced_language_is_passed():
    model = FakeModel()
    res = make(model).transcribe(np.zeros(SAMPLE_RATE, np.float32), language="ZH")
    assert model.calls[0]["language"] == "zh"
    assert res.language == "zh" and res.warnings == []


def test_unknown_language_code_warns_and_detects():
    model = FakeModel()
    res = make(model).transcribe(np.zeros(SAMPLE_RATE, np.float32), language="klingon")
    assert model.calls[0]["language"] is None
    assert any("unknown language code 'klingon'" in w for w in res.warnings)
    assert res.language == "en"


def test_uncertain_language_warns():
    res = make(FakeModel(language="cy", prob=0.21)).transcribe(np.zeros(SAMPLE_RATE, np.float32))
    assert any("language uncertain" in w and "'cy'" in w for w in res.warnings)


def test_silence_gives_empty_result_with_warning():
    res = make(FakeModel(empty=True)).transcribe(np.zeros(SAMPLE_RATE * 3, np.float32))
    assert res.words == [] and res.warnings == [NO_SPEECH_WARNING]
    assert res.language == ""  # a language "detected" on silence is not reported


def test_music_symbol_segments_are_dropped():
    res = make(FakeModel(text=" ♪ ♪")).transcribe(np.zeros(SAMPLE_RATE * 3, np.float32))
    assert res.words == [] and NO_SPEECH_WARNING in res.warnings


def test_empty_array():
    res = make(FakeModel()).transcribe(np.zeros(0, np.float32))
    assert res.words == [] and res.duration_s == 0.0


def test_rejects_multichannel():
    with pytest.raises(ValueError):
        make(FakeModel()).transcribe(np.zeros((2, 100), np.float32))


def test_progress_reaches_one():
    seen: list[float] = []
    make(FakeModel(), chunk_s=10.0).transcribe(
        np.zeros(SAMPLE_RATE * 25, np.float32), on_progress=lambda s, f: seen.append(f)
    )
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)


def test_chinese_is_written_in_the_configured_script():
    trad = " 廣州市 房地產"
    res = make(FakeModel(language="zh", text=trad)).transcribe(np.zeros(SAMPLE_RATE * 3, np.float32))
    assert "".join(w.text for w in res.words) == " 广州市 房地产"
    res = make(FakeModel(language="zh", text=trad), chinese_script="").transcribe(np.zeros(SAMPLE_RATE * 3, np.float32))
    assert "".join(w.text for w in res.words) == trad
    simp = " 广州市 房地产"
    res = make(FakeModel(language="zh", text=simp), chinese_script="traditional").transcribe(
        np.zeros(SAMPLE_RATE * 3, np.float32)
    )
    assert "".join(w.text for w in res.words) == trad


def test_other_languages_are_not_converted():
    res = make(FakeModel(language="ja", text=" 廣州")).transcribe(np.zeros(SAMPLE_RATE * 3, np.float32))
    assert "".join(w.text for w in res.words) == " 廣州"
