"""The embedding sentiment head: training file, shipped coefficients, probabilities.
(The real MiniLM model runs in tests/integration/test_text_analysis.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest

from coach.errors import ConfigurationError
from speech import sentiment_embed as se


def test_training_set_is_balanced_and_well_formed():
    texts, labels = se.read_training_set()
    assert len(texts) >= 300 and len(set(texts)) == len(texts)
    counts = {c: labels.count(c) for c in se.CLASSES}
    assert min(counts.values()) >= 0.8 * max(counts.values()), counts


def test_shipped_head_matches_training_file():
    """Editing the sentences without regenerating the head fails here (regenerate with
    `python -m speech.sentiment_embed`)."""
    d = json.loads(se.HEAD_FILE.read_text(encoding="utf-8"))
    assert d["train_sha256"] == se.file_sha256()
    head = se.Head.from_json(d)
    assert head.coef.shape == (3, 384) and head.intercept.shape == (3,)
    assert head.n_train == len(se.read_training_set()[0]) and head.C in se.C_GRID


def test_head_probabilities_sum_to_one_and_follow_logits():
    head = se.Head(np.array([[1.0, 0.0], [0.0, 0.0], [-1.0, 0.0]]), np.zeros(3), 1.0, "x", 3)
    p = head.proba(np.array([[5.0, 0.0], [-5.0, 0.0], [0.0, 0.0]]))
    assert np.allclose(p.sum(axis=1), 1.0)
    assert p[0].argmax() == 0 and p[1].argmax() == 2 and np.allclose(p[2], 1 / 3)
    assert se.Head.from_json(head.to_json()).coef.tolist() == head.coef.tolist()


def test_head_json_for_another_model_is_rejected():
    d = se.Head(np.zeros((3, 2)), np.zeros(3), 1.0, "x", 3).to_json() | {"model": "other"}
    with pytest.raises(ConfigurationError, match="does not match"):
        se.Head.from_json(d)


@pytest.mark.parametrize("line", ["happy\tGreat!", "positive", "negative\t   "])
def test_malformed_training_line_is_configuration_error(tmp_path, line):
    f = tmp_path / "s.txt"
    f.write_text("# comment\npositive\tFine, thanks!\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="line 3"):
        se.read_training_set(f)


def test_stale_head_is_refitted(monkeypatch, tmp_path):
    """A head made from other sentences is not used: the head is refitted."""
    stale = tmp_path / "head.json"
    stale.write_text(json.dumps(se.Head(np.zeros((3, 2)), np.zeros(3), 1.0, "0" * 64, 3).to_json()), encoding="utf-8")
    fresh = se.Head(np.ones((3, 2)), np.zeros(3), 1.0, se.file_sha256(), 3)
    monkeypatch.setattr(se, "HEAD_FILE", stale)
    monkeypatch.setattr(se, "fit_head", lambda path=se.TRAIN_FILE: fresh)
    se.load_head.cache_clear()
    try:
        assert se.load_head() is fresh
    finally:
        se.load_head.cache_clear()
