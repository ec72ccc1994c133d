"""Text analysis with a real (tiny, locally built) transformers classifier (the shipped e5
head on real MELD dialogues: tests/integration/test_sentiment_e5.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


def _tiny_classifier(path: Path, labels: list[str], favour: int) -> Path:
    """A 1-layer BERT whose classifier bias always favours ``labels[favour]``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    path.mkdir(parents=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "price", "is", "fine", "bad"]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizer(str(path / "vocab.txt")).save_pretrained(str(path))
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=16, max_position_embeddings=32, num_labels=len(labels),
                     id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[favour] = 12.0
    model.save_pretrained(str(path))
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("labels", "favour", "expected"),
    [(["negative", "neutral", "positive"], 0, -1.0), (["1 star", "2 stars", "3 stars", "4 stars", "5 stars"], 4, 1.0),
     (["LABEL_0", "LABEL_1", "LABEL_2"], 1, 0.0)],
)
def test_transformers_sentiment_model(tmp_path, labels, favour, expected):
    from speech.analysis import analyze_conversation
    from speech.types import Utterance

    model_dir = _tiny_classifier(tmp_path / "clf", labels, favour)
    utts = [Utterance(id="u1", speaker="A", start=0, end=1, text="the price is bad"),
            Utterance(id="u2", speaker="B", start=1, end=2, text="价格太高了")]
    a = analyze_conversation(utts, language="zh", sentiment_model=str(model_dir))
    # the configured model covers every language: no None, no "VADER" warning
    assert [u.sentiment for u in a.utterances] == [pytest.approx(expected, abs=0.01)] * 2
    assert not any("VADER" in w for w in a.warnings)


@pytest.mark.slow
def test_model_with_non_polarity_labels_is_rejected(tmp_path):
    from speech.errors import ConfigurationError
    from speech.sentiment import TransformersSentiment

    model_dir = _tiny_classifier(tmp_path / "topics", ["sports", "politics"], 0)
    with pytest.raises(ConfigurationError, match="not polarities"):
        TransformersSentiment(str(model_dir))
