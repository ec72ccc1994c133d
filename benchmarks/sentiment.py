"""Utterance sentiment on data that chose nothing: MELD dev (3 classes, English) and two
Chinese review sets (binary), with bootstrap intervals.

Splits: the shipped head and its neutral band were chosen on MELD **train** only
(``benchmarks/train_sentiment.py``, grouped CV); MELD **dev** and the Chinese reviews are
only measured here. The Chinese sets are never trained on: the head learned English
conversations and scores Chinese through e5's aligned embedding space.

Systems on MELD dev (macro-F1 over negative / neutral / positive):
* shipped: e5 head with the previous turns as context (the product path,
  ``speech.sentiment.score_sentiment`` on each dialogue in order), band from train
* VADER compound, its own band 0.05
* before issue 10: mean(VADER, MiniLM + head on hand-written sentences), band 0.1, scores
  recorded at the commit named in ``benchmarks/results/sentiment_before_issue10.json``
* the issue's probe: MiniLM (the bundled all-MiniLM-L6-v2) + logistic regression trained on
  MELD train (C=1, balanced classes, utterance only, argmax), re-created here

Chinese: a fixed random sample (seed 0) of each review set, positive iff score >= 0;
baseline = the majority class (before issue 10 Chinese got no sentiment at all).

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.sentiment [--zh-sample 1000]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import SHARED_DATA, md_table, write_results  # noqa: E402
from benchmarks.meld import macro_f1, DEV_CSV, Dialogue, embed_cached, load_dialogues  # noqa: E402
from speech.sentiment import polarity_label, score_sentiment, vader_score  # noqa: E402
from speech.sentiment_head import context_features, load_head  # noqa: E402
from speech.types import Utterance  # noqa: E402

log = logging.getLogger("benchmarks.sentiment")

CLASSES = ("negative", "neutral", "positive")
BEFORE_FILE = REPO / "benchmarks" / "results" / "sentiment_before_issue10.json"
ZH_SETS = {"waimai_10k (food delivery)": "waimai_10k.csv", "chnsenticorp_htl_all (hotels)": "chnsenticorp_htl_all.csv"}
VADER_BAND = 0.05
BEFORE_BAND = 0.1
N_BOOT = 1000


def as_utterances(d: Dialogue) -> list[Utterance]:
    return [Utterance(id=f"u{i}", speaker=r.speaker, start=float(i), end=i + 0.5, text=r.text)
            for i, r in enumerate(d.rows, start=1)]


def bootstrap(groups: list[list[tuple[str, ...]]], stat, n: int = N_BOOT, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of ``stat(items)``, resampling groups (dialogues)."""
    rng = random.Random(seed)
    vals = []
    for _ in range(n):
        pick = [groups[rng.randrange(len(groups))] for _ in groups]
        vals.append(stat([x for g in pick for x in g]))
    vals.sort()
    return round(vals[int(0.025 * n)], 3), round(vals[int(0.975 * n)], 3)


def minilm_probe(dev: list[Dialogue]) -> list[str]:
    """The issue's probe, trained on MELD train, labels for every dev utterance."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    from benchmarks.meld import TRAIN_CSV, minilm_cached  # noqa: PLC0415

    train = load_dialogues(TRAIN_CSV)
    x = minilm_cached([r.text for d in train for r in d.rows], "meld_train")
    y = [r.sentiment for d in train for r in d.rows]
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(x, y)
    return list(clf.predict(minilm_cached([r.text for d in dev for r in d.rows], "meld_dev")))


def meld_dev() -> dict:
    dialogues = load_dialogues(DEV_CSV)
    probe = iter(minilm_probe(dialogues))
    before = json.loads(BEFORE_FILE.read_text())["dialogues"] if BEFORE_FILE.exists() else None
    band = load_head().band
    groups = []
    t0 = time.perf_counter()
    for d in dialogues:
        ours, _ = score_sentiment(as_utterances(d), "en")
        old = before[str(d.id)]["scores"] if before else [0.0] * len(d.rows)
        groups.append([(r.sentiment, polarity_label(s, band), polarity_label(vader_score(r.text), VADER_BAND),
                        polarity_label(o, BEFORE_BAND), next(probe)) for r, s, o in zip(d.rows, ours, old)])
    secs = time.perf_counter() - t0
    flat = [x for g in groups for x in g]
    names = {1: f"shipped: e5 + context head (band {band})", 2: "VADER (band 0.05)",
             3: "before issue 10: mean(VADER, MiniLM head on hand-written sentences) (band 0.1)",
             4: "the issue's probe: MiniLM + logistic regression on MELD train"}
    res = {"split": "MELD dev: measured only (head, band chosen on MELD train by grouped CV)",
           "dialogues": len(dialogues), "utterances": len(flat), "systems": {}}
    for k, name in names.items():
        if k == 3 and before is None:
            continue
        f = lambda items, k=k: macro_f1([x[0] for x in items], [x[k] for x in items])  # noqa: E731
        acc = sum(x[0] == x[k] for x in flat) / len(flat)
        res["systems"][name] = {"macro_f1": round(f(flat), 3), "ci95": bootstrap(groups, f),
                                "accuracy": round(acc, 3)}
    for k, other in ((2, "VADER"), (3, "before issue 10"), (4, "MiniLM probe")):
        if k == 3 and before is None:
            continue
        diff = lambda items, k=k: (macro_f1([x[0] for x in items], [x[1] for x in items])  # noqa: E731
                                   - macro_f1([x[0] for x in items], [x[k] for x in items]))
        res[f"gain_vs_{other}"] = {"macro_f1": round(diff(flat), 3), "ci95": bootstrap(groups, diff)}
    res["shipped_utterances_per_s_incl_vader_baseline"] = round(len(flat) / secs, 1)
    return res


def zh_sample(fname: str, sample: int) -> tuple[list[tuple[int, str]], np.ndarray]:
    """A fixed random sample (seed 0) of a Chinese review set and its e5 embeddings."""
    path = SHARED_DATA / "text" / "sentiment_zh" / fname
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [(int(r["label"]), " ".join(r["review"].split())) for r in csv.DictReader(fh) if r["review"].strip()]
    rows = random.Random(0).sample(rows, min(sample, len(rows)))
    return rows, embed_cached([t for _, t in rows], f"zh_{fname.split('.')[0]}_{len(rows)}")


def chinese(sample: int) -> dict:
    head = load_head()
    out = {}
    for name, fname in ZH_SETS.items():
        t0 = time.perf_counter()
        rows, emb = zh_sample(fname, sample)
        feats = np.vstack([context_features(emb[i:i + 1], ["a"], head.parts) for i in range(len(rows))])
        p = head.proba(feats)
        secs = time.perf_counter() - t0
        pred = (p[:, 2] - p[:, 0]) >= 0
        hits = [[(int(pr) == lab,)] for pr, (lab, _) in zip(pred, rows)]
        acc = lambda items: sum(x[0] for x in items) / len(items)  # noqa: E731
        pos_rate = sum(lab for lab, _ in rows) / len(rows)
        y = np.array([lab for lab, _ in rows])
        balanced = (np.mean(pred[y == 1]) + np.mean(~pred[y == 0])) / 2
        out[name] = {"n": len(rows), "accuracy": round(acc([h[0] for h in hits]), 3), "ci95": bootstrap(hits, acc),
                     "balanced_accuracy": round(float(balanced), 3),
                     "recall_positive": round(float(np.mean(pred[y == 1])), 3),
                     "recall_negative": round(float(np.mean(~pred[y == 0])), 3),
                     "majority_class_accuracy": round(max(pos_rate, 1 - pos_rate), 3),
                     "seconds_incl_cache": round(secs, 1)}
    return {"split": "never trained or tuned on (English-trained head, zero-shot); fixed random sample, seed 0",
            "sets": out}


def markdown(res: dict) -> str:
    m = res["meld_dev"]
    rows = [[name, v["macro_f1"], f"[{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]", v["accuracy"]]
            for name, v in m["systems"].items()]
    lines = [f"**Utterance sentiment, MELD dev ({m['dialogues']} dialogues, {m['utterances']} utterances; "
             "chose nothing)**", "", md_table(["system", "macro-F1", "95% CI", "accuracy"], rows), ""]
    for k in ("gain_vs_VADER", "gain_vs_before issue 10", "gain_vs_MiniLM probe"):
        if k in m:
            lines.append(f"macro-F1 {k.replace('_', ' ')}: {m[k]['macro_f1']:+.3f} "
                         f"[{m[k]['ci95'][0]:+.3f}, {m[k]['ci95'][1]:+.3f}]")
    zh = res["chinese"]["sets"]
    lines += ["", "**Chinese reviews, binary (zero-shot: trained on English MELD only)**", "",
              md_table(["set", "n", "accuracy", "95% CI", "majority class", "balanced accuracy"],
                       [[k, v["n"], v["accuracy"], f"[{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]",
                         v["majority_class_accuracy"], v["balanced_accuracy"]] for k, v in zh.items()])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zh-sample", type=int, default=1000)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    res = {"meld_dev": meld_dev(), "chinese": chinese(args.zh_sample), "head": load_head().meta}
    path = write_results("sentiment", res)
    sys.stdout.write(markdown(res) + f"\n\nwritten {path.relative_to(REPO)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
