"""Bounded memory: decoding + mono mix + chunk iteration must not hold the recording in
RAM: peak memory for 40 minutes stays that of 10 minutes (30 more minutes of stereo +
mono float32 would be ~345 MB)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from speech.decode import decode_audio, is_mapped, iter_chunks, mono_mix

    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    base = rss()
    audio = decode_audio(sys.argv[1], max_duration_s=4 * 3600, tmp_dir=sys.argv[2])
    mono = mono_mix(audio, tmp_dir=sys.argv[2])
    energy, peak = 0.0, rss()
    for _, chunk in iter_chunks(mono, 300.0):
        energy += float(np.square(chunk).sum())  # stands in for a per-chunk stage
        peak = max(peak, rss())
    print(audio.duration_s, is_mapped(mono), base, peak)
    """
)


def _write_long(path, minutes: float, sr: int = 16000) -> None:
    rng = np.random.default_rng(0)
    block = sr * 60
    with sf.SoundFile(path, "w", samplerate=sr, channels=2, format="FLAC") as f:
        for _ in range(int(minutes)):
            x = 0.1 * rng.standard_normal((block, 2))
            f.write(x.astype(np.float32))


def _probe(path, tmp) -> tuple[float, bool, float, float]:
    res = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), str(tmp)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True,
    )
    dur, mapped, base, peak = res.stdout.split()
    return float(dur), mapped == "True", float(base), float(peak)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_memory_does_not_grow_with_length(tmp_path):
    mid, long = tmp_path / "mid.flac", tmp_path / "long.flac"
    _write_long(mid, 10)
    _write_long(long, 40)
    d_mid, mapped_mid, base_m, peak_m = _probe(mid, tmp_path)
    d_long, mapped_long, base_l, peak_l = _probe(long, tmp_path)
    assert d_mid == pytest.approx(600, abs=1) and d_long == pytest.approx(2400, abs=1)
    assert mapped_mid and mapped_long  # both beyond the spill threshold: file-backed
    grow_mid, grow_long = peak_m - base_m, peak_l - base_l
    # 30 more minutes held in RAM (stereo + mono float32) would add ~345 MB
    assert grow_long < grow_mid + 40, (grow_mid, grow_long)
    assert not list(tmp_path.glob("salescoach-*")), "temp audio files must not be left behind"
