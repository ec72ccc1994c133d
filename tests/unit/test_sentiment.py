"""Sentiment scores, the coarse emotion label and classifier label mapping."""

from __future__ import annotations

import pytest

from coach.errors import ConfigurationError
from speech.sentiment import emotion_label, label_value, score_sentiment
from speech.types import Utterance


def U(text, k=1):
    return Utterance(id=f"u{k}", speaker="S1", start=k, end=k + 1, text=text)


def test_vader_english():
    scores, warnings = score_sentiment([U("This is great, I love it!"), U("That’s terrible and way too expensive.", 2), U("The meeting is at ten.", 3)], "en")
    assert scores[0] > 0.5 and scores[1] < -0.3 and scores[2] == 0.0
    assert warnings == []


def test_chinese_without_model_is_none_with_one_warning():
    utts = [U("价格太高了", 1), U("我们很满意", 2)]
    scores, warnings = score_sentiment(utts, "zh")
    assert scores == [None, None]
    assert len(warnings) == 1 and "sentiment_model" in warnings[0]


def test_mixed_call_scores_english_only():
    scores, warnings = score_sentiment([U("I love this!"), U("这个太贵了", 2)], None)
    assert scores[0] > 0 and scores[1] is None and len(warnings) == 1


def test_empty():
    assert score_sentiment([], "en") == ([], [])


def test_missing_model_dir_is_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="not found"):
        score_sentiment([U("hi")], "en", sentiment_model=str(tmp_path / "nope"))


@pytest.mark.parametrize(
    ("s", "a", "label"),
    [
        (0.6, None, "positive"), (-0.6, None, "negative"), (0.01, None, "neutral"),
        (0.6, 1.5, "excited"), (-0.6, 1.2, "tense"), (0.0, 2.0, "neutral"),
        (None, None, None), (None, 1.3, "high-arousal"), (None, -1.1, "low-arousal"), (None, 0.2, None),
    ],
)
def test_emotion_label(s, a, label):
    assert emotion_label(s, a) == label


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
