"""``salescoach analyze`` end to end on real clips, as a user runs it (a fresh data dir,
so the bundled Whisper model is assembled there first)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speech.types import CallAnalysis

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def salescoach(data: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SALESCOACH_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_analyze_stereo_clip_writes_valid_json_and_stores_it(tmp_path, shared_data):
    data, out, md = tmp_path / "data", tmp_path / "out.json", tmp_path / "out.md"
    clip = shared_data / "audio" / "diarization" / "stereo_diarization.wav"
    res = salescoach(data, "analyze", str(clip), "--json", str(out), "--markdown", str(md))
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text())
    analysis = CallAnalysis.model_validate(doc)  # the JSON contract
    assert doc["audio"] == {"duration_s": 5.0, "channels": 2, "sample_rate": 16000}
    assert len(doc["speakers"]) == 2 and doc["language"] == "en"
    assert "horizon" in " ".join(u.text.lower() for u in analysis.utterances)
    assert set(doc["timings"]) >= {"decode", "transcribe", "diarize", "analysis", "total"}
    assert "Conversation metrics" in res.stdout and "stored as call" in res.stdout
    assert "## Transcript" in md.read_text()
    assert (data / "models" / "whisper-base" / "model.bin").stat().st_size == 145217607

    listed = json.loads(salescoach(data, "calls", "list", "--json").stdout)
    assert [c["status"] for c in listed] == ["analyzed"] and listed[0]["duration_s"] == 5.0
    shown = json.loads(salescoach(data, "calls", "show", listed[0]["id"], "--json").stdout)
    assert shown["analysis"] == doc | {"source": "stereo_diarization.wav"}


def test_enrolled_rep_voice_is_found_in_the_call(tmp_path, shared_data):
    """Enrol one party of sample.wav from a stretch where only she talks (per the
    reference RTTM), then `analyze --rep` must make her speaker the rep by voice."""
    data = tmp_path / "data"
    wav = shared_data / "audio" / "diarization" / "sample.wav"
    x, sr = sf.read(wav, dtype="float32")
    sheila = np.concatenate([x[int(14.75 * sr) : int(17.9 * sr)], x[int(22.0 * sr) : int(27.8 * sr)]])
    sample = tmp_path / "sheila.wav"
    sf.write(sample, sheila, sr)

    res = salescoach(data, "reps", "enroll", "sheila", str(sample))
    assert res.returncode == 0, res.stderr
    assert "created rep sheila" in res.stdout

    out = tmp_path / "out.json"
    res = salescoach(data, "analyze", str(wav), "--rep", "sheila", "--json", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text())
    reps = [s for s in doc["speakers"] if s["role"] == "rep"]
    assert len(reps) == 1 and "enrolled sample of sheila" in reps[0]["role_evidence"], doc["speakers"]
    # the rep is the speaker who says Sheila's reference line "I'm Sheila ..." (stm)
    sheila_utts = [u for u in doc["utterances"] if "sheila" in u["text"].lower()]
    assert sheila_utts and all(u["role"] == "rep" for u in sheila_utts)
    (call,) = json.loads(salescoach(data, "calls", "list", "--json").stdout)
    assert call["user_id"] is not None


def test_corrupt_audio_exits_2_and_is_recorded(tmp_path, shared_data):
    data = tmp_path / "data"
    src = (shared_data / "audio" / "wer" / "jfk.flac").read_bytes()
    bad = tmp_path / "cut.flac"
    bad.write_bytes(src[:40])
    res = salescoach(data, "analyze", str(bad), "--json", str(tmp_path / "o.json"))
    assert res.returncode == 2
    assert "truncated or corrupt" in res.stderr and "Traceback" not in res.stderr
    (call,) = json.loads(salescoach(data, "calls", "list", "--json").stdout)
    assert call["status"] == "failed" and Path(call["stored_path"]).read_bytes() == src[:40]
