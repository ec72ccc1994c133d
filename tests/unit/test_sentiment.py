"""Sentiment scores, the coarse emotion label and classifier label mapping."""

from __future__ import annotations

import pytest

from coach.errors import ConfigurationError
from speech.sentiment import emotion_label, label_value, score_sentiment
from speech.types import Utterance


def U(text, k=1):
    return Utterance(id=f"u{k}", speaker="S1", start=k, end=k + 1, text=text)


@pytest.fixture
def fake_embedding(monkeypatch):
    """Stands in for the MiniLM head (real-model tests: tests/integration/test_text_analysis.py)."""
    calls: list[list[str]] = []

    def fake(texts):
        calls.append(list(texts))
        return [0.5] * len(texts)

    monkeypatch.setattr("speech.sentiment._embedding_scores", fake)
    return calls


def test_vader_english():
    scores, warnings = score_sentiment([U("This is great, I love it!"), U("That’s terrible and way too expensive.", 2), U("The meeting is at ten.", 3)], "en", "vader")
    assert scores[0] > 0.5 and scores[1] < -0.3 and scores[2] == 0.0
    assert warnings == []


def test_default_english_is_mean_of_vader_and_embedding(fake_embedding):
    from speech.sentiment import vader_score

    texts = ["This is great, I love it!", "The meeting is at ten."]
    scores, warnings = score_sentiment([U(t, k) for k, t in enumerate(texts, 1)], "en")
    assert scores == [pytest.approx((vader_score(t) + 0.5) / 2, abs=1e-4) for t in texts]
    assert warnings == [] and fake_embedding == [texts]


def test_embedding_unavailable_falls_back_to_vader_with_warning(monkeypatch):
    monkeypatch.setattr("speech.sentiment._embedding_scores", lambda texts: "sentence-transformers is not installed")
    scores, warnings = score_sentiment([U("I love it!")], "en")
    assert scores[0] > 0.5  # VADER alone
    assert len(warnings) == 1 and "VADER alone" in warnings[0] and "sentence-transformers" in warnings[0]


def test_embedding_failure_is_turned_into_fallback(monkeypatch):
    from coach.errors import DependencyMissingError
    from speech import sentiment

    def broken(self, texts):
        raise DependencyMissingError("sentence-transformers", "embedding-based English sentiment")

    monkeypatch.setattr("speech.sentiment_embed.EmbeddingSentiment.score", broken)
    assert isinstance(sentiment._embedding_scores(["hi"]), str)


def test_chinese_without_model_is_none_with_one_warning(fake_embedding):
    utts = [U("价格太高了", 1), U("我们很满意", 2)]
    scores, warnings = score_sentiment(utts, "zh")
    assert scores == [None, None]
    assert len(warnings) == 1 and "sentiment_model" in warnings[0]
    assert fake_embedding == []  # nothing English to embed


def test_mixed_call_scores_english_only(fake_embedding):
    scores, warnings = score_sentiment([U("I love this!"), U("这个太贵了", 2)], None)
    assert scores[0] > 0 and scores[1] is None and len(warnings) == 1
    assert fake_embedding == [["I love this!"]]


def test_empty():
    assert score_sentiment([], "en") == ([], [])


def test_missing_model_dir_is_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="not found"):
        score_sentiment([U("hi")], "en", sentiment_model=str(tmp_path / "nope"))


@pytest.mark.parametrize(
    ("s", "a", "label"),
    [
        (0.6, None, "positive"), (-0.6, None, "negative"), (0.01, None, "neutral"), (0.09, None, "neutral"),
        (0.1, None, "positive"), (-0.1, None, "negative"),
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
