"""Vocal arousal benchmark: ROC AUC of high arousal (anger, happiness) vs low (sadness,
neutral) on the EmoDB clips of ../shared/data/audio/emotion.

    .venv/bin/python benchmarks/arousal.py

Scores are ``speech.prosody.clip_arousal`` (and each feature alone) z-normalised per
speaker (the ``speaker_id`` column), as the pipeline normalises per diarized speaker.
Speakers with a single clip have no baseline of their own: their clips are z-scored
against all clips (reported as ``single_clip_speakers``). The raw, un-normalised score
is reported too. Results go to benchmarks/results/arousal.json.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

EMOTION = REPO.parent / "shared" / "data" / "audio" / "emotion"
HIGH = {"anger", "happiness"}
LOW = {"sadness", "neutral"}


def speaker_z(values: list[float], speakers: list[str]) -> list[float]:
    """z within speaker; speakers with one clip fall back to the z over all clips;
    unmeasurable values become 0 (no evidence either way)."""
    from speech.prosody import zscore_within

    z = zscore_within(values, speakers)
    arr = np.array(values, dtype=float)
    glob = (arr - np.nanmean(arr)) / (np.nanstd(arr) or 1.0)
    return [float(a) if np.isfinite(a) else (float(g) if np.isfinite(g) else 0.0) for a, g in zip(z, glob)]


def evaluate(folder: Path = EMOTION) -> dict:
    import soundfile as sf
    from sklearn.metrics import roc_auc_score

    from speech.prosody import FEATURES, arousal_features, combine

    rows = [r for r in csv.DictReader(open(folder / "labels.csv", newline="")) if r["emotion"] in HIGH | LOW]
    feats, seconds = [], 0.0
    for r in rows:
        x, sr = sf.read(str(folder / r["file"]), dtype="float32", always_2d=True)
        t0 = time.perf_counter()
        feats.append(arousal_features(x.mean(axis=1), sample_rate=sr))
        seconds += time.perf_counter() - t0
    y = [1 if r["emotion"] in HIGH else 0 for r in rows]
    spk = [r["speaker_id"] for r in rows]
    raw = [combine(f) for f in feats]
    per_feature = {k: float(roc_auc_score(y, speaker_z([f[k] for f in feats], spk))) for k in FEATURES}
    counts: dict[str, int] = {}
    for s in spk:
        counts[s] = counts.get(s, 0) + 1
    return {
        "clips": len(rows),
        "auc_speaker_normalised": float(roc_auc_score(y, speaker_z(raw, spk))),
        "auc_raw": float(roc_auc_score(y, [v if np.isfinite(v) else 0.0 for v in raw])),
        "auc_per_feature": per_feature,
        "single_clip_speakers": sorted(s for s, n in counts.items() if n == 1),
        "audio_s": float(sum(float(r["duration_s"]) for r in rows)),
        "feature_seconds": seconds,
        "clips_detail": [{"file": r["file"], "emotion": r["emotion"], "speaker": s, "raw": v, **f} for r, s, v, f in zip(rows, spk, raw, feats)],
    }


def main() -> None:
    from benchmarks.common import machine, md_table, write_results

    evaluate(EMOTION)  # warm-up (numba compilation inside librosa)
    data = evaluate(EMOTION)
    print("## Arousal: ROC AUC high (anger, happiness) vs low (sadness, neutral), EmoDB\n")
    rows = [["combined, per-speaker z (target >= 0.85)", data["auc_speaker_normalised"]], ["combined, raw", data["auc_raw"]]]
    rows += [[f"{k} alone, per-speaker z", v] for k, v in data["auc_per_feature"].items()]
    print(md_table(["score", "AUC"], rows))
    print(f"\n{data['clips']} clips, {data['audio_s']:.1f} s of audio, features in {data['feature_seconds']:.2f} s; "
          f"single-clip speakers (global z): {', '.join(data['single_clip_speakers']) or 'none'}")
    data["machine"] = machine()
    print(f"\nwrote {write_results('arousal', data)}")


if __name__ == "__main__":
    main()
