"""Voice turns: the rep's recording is transcribed by the analyzer; the buyer's line is
spoken with espeak-ng."""

import wave
from dataclasses import dataclass

import pytest

from coach.errors import EmptyInputError, NotFoundError
from coach.roleplay.service import RoleplayService
from coach.roleplay.voice import espeak_available, speak, transcribe_turn


@dataclass
class _W:
    text: str


@dataclass
class _R:
    words: list


class FakeAnalyzer:
    def __init__(self, words):
        self.words = words
        self.calls = []

    def transcribe_file(self, path, language=None, max_duration_s=None):
        self.calls.append((str(path), language))
        self.max_duration_s = max_duration_s
        return _R([_W(w) for w in self.words])


def test_transcribe_turn_joins_words_and_rejects_silence(tmp_path):
    f = tmp_path / "turn.wav"
    f.write_bytes(b"RIFF0000WAVE")
    a = FakeAnalyzer([" How", " do", " alarms", " affect", " nurses?"])
    assert transcribe_turn(a, f, language="en") == "How do alarms affect nurses?"
    assert a.calls == [(str(f), "en")]
    with pytest.raises(EmptyInputError):
        transcribe_turn(FakeAnalyzer([]), f)
    with pytest.raises(NotFoundError):
        transcribe_turn(a, tmp_path / "missing.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(EmptyInputError):
        transcribe_turn(a, tmp_path / "empty.wav")


def test_rep_audio_turn_through_the_service(services, tmp_path):
    f = tmp_path / "turn.wav"
    f.write_bytes(b"RIFF0000WAVE")
    services.__dict__["analyzer"] = FakeAnalyzer([" How", " do", " the", " alarms", " affect", " your", " nurses?"])
    svc = RoleplayService(services)
    sid, _ = svc.start("icu-nurse-manager", None, 0, renderer="template")
    out = svc.rep_audio(sid, f)
    assert out["rep_text"] == "How do the alarms affect your nurses?" and "alarms" in out["text"].lower()


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng not installed")
@pytest.mark.parametrize("lang, text", [("en", "I have twenty minutes before handover."), ("zh", "你好，直接说吧。")])
def test_speak_writes_a_wav(tmp_path, lang, text):
    out = speak(text, tmp_path / f"{lang}.wav", lang)
    with wave.open(str(out)) as w:
        assert w.getnframes() / w.getframerate() > 0.5
