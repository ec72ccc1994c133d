"""Bundled Whisper model assembly (speech/models.py): once, atomic, verified by size."""

from __future__ import annotations

import pytest

from speech.errors import ConfigurationError
from speech.settings import SpeechSettings
from speech.models import SIDE_FILES, bundled_parts, bundled_whisper_dir, whisper_model_ref


def test_assembles_once_into_the_cache(tmp_path):
    parts, side_dir = bundled_parts()
    target = bundled_whisper_dir(tmp_path)
    assert target == tmp_path / "whisper-base"
    model = target / "model.bin"
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    with model.open("rb") as fh, parts[1].open("rb") as p2:  # part 2 follows part 1
        fh.seek(parts[0].stat().st_size)
        assert fh.read(4096) == p2.read(4096)
    for f in SIDE_FILES:
        assert (target / f).read_bytes() == (side_dir / f).read_bytes()
    assert not [p.name for p in target.iterdir() if ".tmp-" in p.name]
    mtime = model.stat().st_mtime_ns
    assert bundled_whisper_dir(tmp_path) == target
    assert model.stat().st_mtime_ns == mtime  # second call: nothing rewritten


def test_incomplete_model_is_reassembled(tmp_path):
    target = bundled_whisper_dir(tmp_path)
    model = target / "model.bin"
    size = model.stat().st_size
    with model.open("r+b") as fh:  # a crash mid-copy left a short file
        fh.truncate(size // 3)
    bundled_whisper_dir(tmp_path)
    assert model.stat().st_size == size


def test_override_directory(tmp_path):
    d = tmp_path / "my-model"
    d.mkdir()
    with pytest.raises(ConfigurationError, match="not a CTranslate2 Whisper model"):
        whisper_model_ref(SpeechSettings(whisper_model=str(d)), tmp_path)
    (d / "model.bin").write_bytes(b"x")
    assert whisper_model_ref(SpeechSettings(whisper_model=str(d)), tmp_path) == str(d)
    with pytest.raises(ConfigurationError, match="not found"):
        whisper_model_ref(SpeechSettings(whisper_model=str(tmp_path / "missing")), tmp_path)
    # a model name is left to faster-whisper (local Hugging Face cache, offline)
    assert whisper_model_ref(SpeechSettings(whisper_model="small"), tmp_path) == "small"
    assert not (tmp_path / "whisper-base").exists()
