"""Vocal arousal on the real EmoDB clips (../shared/data/audio/emotion)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

pytestmark = pytest.mark.slow


def test_arousal_separates_high_from_low_emotions(shared_data):
    from benchmarks.arousal import evaluate

    res = evaluate(shared_data / "audio" / "emotion")
    assert res["clips"] == 20
    assert res["auc_speaker_normalised"] >= 0.85, res["auc_per_feature"]
