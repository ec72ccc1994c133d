"""MELD dyadic dialogues (research data in ``../shared/data``, never shipped) and a disk
cache of their multilingual-e5 embeddings, shared by the sentiment training script and
the sentiment / shift benchmarks.

Splits: ``train_sent_emo_dya.csv`` trains the head and chooses every setting (grouped
cross-validation by dialogue); ``dev_sent_emo_dya.csv`` chose nothing and is only measured.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import SHARED_DATA

log = logging.getLogger(__name__)

MELD_DIR = SHARED_DATA / "dialogues" / "meld"
TRAIN_CSV = MELD_DIR / "train_sent_emo_dya.csv"
DEV_CSV = MELD_DIR / "dev_sent_emo_dya.csv"
CACHE_DIR = Path.home() / ".cache" / "salescoach-bench"
ORDER = {"negative": -1, "neutral": 0, "positive": 1}


@dataclass
class Row:
    speaker: str
    text: str
    sentiment: str  # negative | neutral | positive


@dataclass
class Dialogue:
    id: int
    rows: list[Row]


def load_dialogues(path: Path) -> list[Dialogue]:
    """Dialogues (rows sharing Dialogue_ID) in Utterance_ID order."""
    by_id: dict[int, list[tuple[int, Row]]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            text = " ".join(r["Utterance"].split())
            by_id.setdefault(int(r["Dialogue_ID"]), []).append(
                (int(r["Utterance_ID"]), Row(r["Speaker"].strip(), text, r["Sentiment"].strip()))
            )
    return [Dialogue(did, [row for _, row in sorted(rows, key=lambda x: x[0])]) for did, rows in sorted(by_id.items())]


def gold_shift_items(d: Dialogue) -> list[tuple[int, bool, int]]:
    """(row index, gold shift?, gold direction) for every row with an earlier row of the
    same speaker; a gold shift is a change of that speaker's sentiment label."""
    last: dict[str, str] = {}
    out = []
    for i, row in enumerate(d.rows):
        if row.speaker in last:
            prev = last[row.speaker]
            out.append((i, row.sentiment != prev, ORDER[row.sentiment] - ORDER[prev]))
        last[row.speaker] = row.sentiment
    return out


def embed_cached(texts: list[str], name: str) -> np.ndarray:
    """e5 embeddings of ``texts`` (as the product embeds them), cached on disk by content."""
    from speech.embed_e5 import embed  # noqa: PLC0415

    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"e5_{name}_{key}.npy"
    if path.exists():
        return np.load(path)
    log.info("embedding %d texts for %s (cached in %s)", len(texts), name, path)
    vecs = embed(texts)
    np.save(path, vecs)
    return vecs


def minilm_cached(texts: list[str], name: str) -> np.ndarray:
    """Bundled all-MiniLM-L6-v2 embeddings (the issue's probe), cached like :func:`embed_cached`."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"minilm_{name}_{key}.npy"
    if path.exists():
        return np.load(path)
    from retrieval.embeddings import build_embedder  # noqa: PLC0415 - the product's MiniLM

    vecs = build_embedder("").encode(texts, batch_size=64)
    np.save(path, vecs)
    return vecs


def macro_f1(gold: list[str], pred: list[str]) -> float:
    """Macro-F1 over the three sentiment classes (a class never predicted nor present scores 0)."""
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=["negative", "neutral", "positive"], average="macro", zero_division=0))
