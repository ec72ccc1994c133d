"""Decoding: formats, resampling, channels, and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from speech.errors import CorruptInputError, EmptyInputError, TooLargeError, UnsupportedMediaError
from speech.decode import decode_audio, is_mapped, iter_chunks, mono_mix, sniff
from speech.types import SAMPLE_RATE

LIMIT = 3600.0


def tone(seconds: float, sr: int, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    chans = [0.3 * np.sin(2 * np.pi * freq * (k + 1) * t) for k in range(channels)]
    return np.stack(chans, axis=1).astype(np.float32)


def test_resamples_any_rate_and_keeps_channels(tmp_path):
    path = tmp_path / "stereo44k.wav"
    sf.write(path, tone(2.0, 44100, channels=2), 44100)
    audio = decode_audio(path, max_duration_s=LIMIT)
    assert audio.samples.shape[0] == 2
    assert audio.samples.dtype == np.float32
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.source_sample_rate == 44100 and audio.source_channels == 2
    assert audio.duration_s == pytest.approx(2.0, abs=0.01)
    assert audio.samples.shape[1] == pytest.approx(2 * SAMPLE_RATE, abs=20)
    # the two channels keep their own content (440 Hz vs 880 Hz)
    spec = [np.abs(np.fft.rfft(audio.samples[c, :SAMPLE_RATE])) for c in range(2)]
    peaks = [int(np.argmax(s)) for s in spec]  # 1 Hz bins over one second
    assert peaks == [440, 880]
    assert audio.warnings == []


def test_mono_8k_flac(tmp_path):
    path = tmp_path / "phone.flac"
    sf.write(path, tone(1.5, 8000), 8000)
    audio = decode_audio(path, max_duration_s=LIMIT)
    assert audio.samples.shape == (1, pytest.approx(24000, abs=20))
    assert audio.source_sample_rate == 8000
    assert 0.2 < float(np.abs(audio.samples).max()) <= 0.31


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyInputError, match="empty"):
        decode_audio(path, max_duration_s=LIMIT)


def test_zero_length_audio(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros((0,), np.float32), 16000)
    assert path.stat().st_size > 0  # a valid header, no samples
    with pytest.raises(EmptyInputError, match="no audio"):
        decode_audio(path, max_duration_s=LIMIT)


def test_text_file_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("Rep: hello, thanks for your time\nCustomer: sure\n", encoding="utf-8")
    with pytest.raises(UnsupportedMediaError, match="text file"):
        decode_audio(path, max_duration_s=LIMIT)


def test_unknown_binary_is_unsupported(tmp_path):
    path = tmp_path / "blob.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(4000).replace(b"\xff", b"\x00"))
    with pytest.raises(UnsupportedMediaError):
        decode_audio(path, max_duration_s=LIMIT)


def test_truncated_header_is_corrupt(tmp_path):
    src = tmp_path / "ok.wav"
    sf.write(src, tone(1.0, 16000), 16000)
    path = tmp_path / "cut.wav"
    path.write_bytes(src.read_bytes()[:20])
    with pytest.raises(CorruptInputError, match="truncated or corrupt"):
        decode_audio(path, max_duration_s=LIMIT)


def test_garbage_after_audio_magic_is_corrupt(tmp_path):
    path = tmp_path / "garbage.flac"
    path.write_bytes(b"fLaC" + np.random.default_rng(1).bytes(6000))
    with pytest.raises(CorruptInputError):
        decode_audio(path, max_duration_s=LIMIT)


def test_truncated_body_gives_partial_audio_with_warning(tmp_path):
    src = tmp_path / "long.flac"
    sf.write(src, tone(8.0, 16000), 16000)
    data = src.read_bytes()
    path = tmp_path / "half.flac"
    path.write_bytes(data[: len(data) // 2])
    audio = decode_audio(path, max_duration_s=LIMIT)
    assert 2.0 < audio.duration_s < 6.0
    assert any("truncated" in w for w in audio.warnings)


def test_over_max_duration(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, tone(3.0, 16000), 16000)
    with pytest.raises(TooLargeError, match="limit"):
        decode_audio(path, max_duration_s=2.0)


def test_missing_file(tmp_path):
    with pytest.raises(EmptyInputError, match="not found"):
        decode_audio(tmp_path / "nope.wav", max_duration_s=LIMIT)


def test_sniff_signatures():
    assert sniff(b"RIFF\x00\x00\x00\x00WAVE") == "wav"
    assert sniff(b"\x00\x00\x00\x20ftypM4A ") == "mp4/m4a"
    assert sniff(b"\x1a\x45\xdf\xa3") == "webm/matroska"
    assert sniff(b"\xff\xfb\x90\x00") == "mpeg/adts"
    assert sniff(b"Speaker: hi") is None


def test_spill_to_memmap_matches_in_memory(tmp_path):
    path = tmp_path / "stereo.flac"
    sf.write(path, tone(4.0, 22050, channels=2), 22050)
    ram = decode_audio(path, max_duration_s=LIMIT)
    mapped = decode_audio(path, max_duration_s=LIMIT, spill_s=1.0, tmp_dir=str(tmp_path))
    assert not is_mapped(ram.samples) and is_mapped(mapped.samples)
    assert mapped.samples.shape == ram.samples.shape
    np.testing.assert_array_equal(np.asarray(mapped.samples), ram.samples)
    np.testing.assert_allclose(np.asarray(mono_mix(mapped)), ram.samples.mean(axis=0), atol=1e-6)
    # the temp files are unlinked once mapped: nothing left behind
    assert not list(tmp_path.glob("salescoach-*"))


def test_iter_chunks_covers_everything_and_cuts_in_pauses():
    sr = SAMPLE_RATE
    rng = np.random.default_rng(2)
    x = (0.2 * rng.standard_normal(sr * 25)).astype(np.float32)
    x[int(9.2 * sr) : int(9.4 * sr)] = 0.0  # a pause 0.8 s before the 10 s boundary
    x[int(19.0 * sr) : int(19.3 * sr)] = 0.0
    pieces = list(iter_chunks(x, chunk_s=10.0, search_s=2.0))
    offsets = [o for o, _ in pieces]
    assert offsets[0] == 0.0
    assert 9.2 <= offsets[1] <= 9.4  # cut inside the first pause
    assert 19.0 <= offsets[2] <= 19.3  # and inside the second
    np.testing.assert_array_equal(np.concatenate([c for _, c in pieces]), x)
    for (o1, c1), (o2, _) in zip(pieces, pieces[1:]):
        assert o1 + len(c1) / sr == pytest.approx(o2)


def test_short_audio_is_one_chunk():
    x = np.zeros(SAMPLE_RATE * 3, np.float32)
    pieces = list(iter_chunks(x, chunk_s=600.0))
    assert len(pieces) == 1 and pieces[0][1].shape == x.shape
