"""Hostile media (issue 12): a file that crashes the audio decoder fails its job, is set
aside and never retried, and never takes the server down; the role-play voice endpoint
the same, without leftovers in uploads/.incoming."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from api_support import api, cheap_hashing  # noqa: F401 - fixtures
from test_api_features import _persona_id, knowledge  # noqa: F401 - fixtures


def wav_bytes(channels: int, seconds: float = 1.0, rate: int = 16000) -> bytes:
    x = (np.random.default_rng(0).standard_normal((channels, int(seconds * rate))) * 3000).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.T.tobytes())
    return buf.getvalue()


@pytest.fixture
def crashing_decoder(monkeypatch):
    """Let 8-channel files through the channel cap, so PyAV's to_ndarray segfaults on them."""
    from speech import sandbox

    monkeypatch.setattr(sandbox, "DEFAULT_LIMITS", sandbox.DecodeLimits(max_channels=8))


def test_decoder_crash_is_contained(tmp_path, crashing_decoder):
    from speech.decode import decode_audio
    from speech.sandbox import DecoderCrashedError

    path = tmp_path / "eight.wav"
    path.write_bytes(wav_bytes(8))
    with pytest.raises(DecoderCrashedError, match="crashed"):
        decode_audio(path, max_duration_s=60)


def test_channel_cap_gives_a_clear_error(tmp_path):
    from speech.decode import decode_audio
    from speech.errors import UnsupportedMediaError

    path = tmp_path / "eight.wav"
    path.write_bytes(wav_bytes(8))
    with pytest.raises(UnsupportedMediaError, match="8 audio channels; at most 6"):
        decode_audio(path, max_duration_s=60)


def test_crashing_upload_fails_its_job_and_is_quarantined(api, crashing_decoder):
    r = api.upload("rep1", "eight.wav", wav_bytes(8))
    assert r.status_code == 202, r.text
    call_id, job_id = r.json()["call_id"], r.json()["job_id"]
    api.jobs.run_pending()
    job = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.h("rep1")).json()
    assert job["status"] == "failed" and "crashed" in job["error"]
    assert api.client.get("/api/v1/health").status_code == 200
    # set aside: out of the uploads store, and a retry is refused instead of crashing again
    assert not any(p.is_file() for p in (api.services.settings.uploads_dir / call_id).glob("*"))
    quarantined = list((api.services.settings.storage_dir / "quarantine" / call_id).iterdir())
    assert len(quarantined) == 1
    r = api.client.post(f"/api/v1/jobs/{job_id}/retry", headers=api.h("rep1"))
    assert r.status_code == 422 and "set aside" in r.text, r.text


def test_roleplay_voice_turn_with_a_crashing_file(api, knowledge, crashing_decoder):
    r = api.client.post("/api/v1/roleplay/sessions", headers=api.h("rep1"), json={"persona_id": _persona_id(knowledge), "seed": 1})
    sid = r.json()["session_id"]
    for _ in range(2):
        r = api.client.post(
            f"/api/v1/roleplay/sessions/{sid}/audio", headers=api.h("rep1"), files={"file": ("turn.wav", wav_bytes(8))}
        )
        assert r.status_code == 422 and "crashed" in r.text
    incoming = api.services.settings.uploads_dir / ".incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []
    assert api.client.get("/api/v1/health").status_code == 200
