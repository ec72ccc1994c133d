"""Text analysis on real MELD dialogues (../shared/data) and with a real (tiny, locally
built) transformers classifier."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from speech.shifts import ShiftConfig

REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_shifts", REPO / "benchmarks" / "shifts.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_shifts"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_meld_invariants_and_detector_beats_vader_sign(shared_data, tmp_path):
    """Real MiniLM + VADER on the benchmark's held-out half (default config)."""
    b = _bench()
    dialogues = b.load_dialogues(shared_data / "dialogues" / "meld" / "dev_sent_emo_dya.csv")
    heldout = [d for d in dialogues if d.id % 2 == 1]  # the benchmark's held-out half
    assert len(heldout) > 100
    analyses = [b.analyse(d, tmp_path) for d in heldout]  # default ShiftConfig
    for d, a in zip(heldout, analyses):
        assert [u.id for u in a.utterances] == [f"u{k}" for k in range(1, len(d.rows) + 1)]
        starts = [u.start for u in a.utterances]
        assert starts == sorted(starts) and all(u.end > u.start for u in a.utterances)
        assert all(u.sentiment is not None and -1 <= u.sentiment <= 1 for u in a.utterances)
        assert {s.id for s in a.speakers} == {r[0] for r in d.rows}
        assert sum(s.talk_s for s in a.speakers) == pytest.approx(sum(u.end - u.start for u in a.utterances), abs=0.05)
        ids = {u.id: u for u in a.utterances}
        seen: set[str] = set()
        for s in a.emotion_shifts:
            u = ids[s.utterance_id]
            assert u.speaker in seen or any(x.speaker == u.speaker and x.start < u.start for x in a.utterances)
            if s.cause_utterance_id:
                c = ids[s.cause_utterance_id]
                assert c.speaker != u.speaker and c.start <= u.start
            assert s.evidence and s.magnitude > ShiftConfig().margin
            assert s.from_.split()[0] != s.to.split()[0]  # label mode: the polarity label changed
            seen.add(u.speaker)
        assert a.metrics.patience_s is None  # .txt without timestamps
    golds = [b.gold_items(d) for d in heldout]
    det = b.prf(*b.counts(golds, [b.detector_flags(a) for a in analyses], False))
    vader_an = [b.analyse(d, tmp_path, sentiment_model="vader") for d in heldout]
    vader = b.prf(*b.counts(golds, [b.vader_sign_flags(a) for a in vader_an], False))
    every = b.prf(*b.counts(golds, [b.all_turn_flags(a) for a in vader_an], False))
    assert det["f1"] > vader["f1"] + 0.03, (det, vader)
    assert det["precision"] > max(vader["precision"], every["precision"]) + 0.03, (det, vader, every)
    # per-utterance agreement with MELD's labels: the default scorer beats VADER alone
    gold = [g for d in heldout for _, _, g in d.rows]
    ours = b.agreement(gold, [u.sentiment for a in analyses for u in a.utterances], b.NEUTRAL_BAND)
    vad = b.agreement(gold, [u.sentiment for a in vader_an for u in a.utterances], b.VADER_BAND)
    assert ours["accuracy"] > vad["accuracy"] + 0.05, (ours, vad)


@pytest.mark.slow
def test_embedding_sentiment_real_model():
    from speech.sentiment import score_sentiment
    from speech.sentiment_embed import EmbeddingSentiment
    from speech.types import Utterance

    texts = ["Thank you so much, this is wonderful!", "Let me check my calendar.", "This is a disaster, I'm furious."]
    p = EmbeddingSentiment().probabilities(texts)
    assert p.shape == (3, 3) and [int(k) for k in p.argmax(axis=1)] == [2, 1, 0]
    utts = [Utterance(id=f"u{k}", speaker="A", start=k, end=k + 1, text=t) for k, t in enumerate(texts)]
    scores, warnings = score_sentiment(utts, "en")
    assert scores[0] > 0.3 and abs(scores[1]) < 0.1 and scores[2] < -0.3 and warnings == []


@pytest.mark.slow
def test_shipped_head_reproduces_from_training_sentences():
    """`python -m speech.sentiment_embed` regenerates the shipped coefficients."""
    import numpy as np

    from speech import sentiment_embed as se

    shipped = se.load_head()
    refit = se.fit_head()
    assert refit.C == shipped.C and refit.train_sha256 == shipped.train_sha256
    x = se.embed(["Great, thanks!", "Are you kidding me?", "The invoice goes to finance."])
    assert np.allclose(shipped.proba(x), refit.proba(x), atol=1e-3)


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
    from coach.errors import ConfigurationError
    from speech.sentiment import TransformersSentiment

    model_dir = _tiny_classifier(tmp_path / "topics", ["sports", "politics"], 0)
    with pytest.raises(ConfigurationError, match="not polarities"):
        TransformersSentiment(str(model_dir))
