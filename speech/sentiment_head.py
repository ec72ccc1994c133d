"""The utterance sentiment head: 3-class logistic regression (negative / neutral / positive)
on multilingual-e5 embeddings of the utterance and of its context.

Trained on real conversations: MELD dyadic **train** split (lines from a TV series,
GPL-3.0, research data; the data is not shipped, only these weights). Every setting (which
context, regularisation, class weights, neutral band, shift thresholds) was chosen by
5-fold cross-validation grouped by dialogue on that train split; MELD dev chose nothing.
Re-create the shipped file with::

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.train_sentiment

Because e5 aligns English and Chinese, the English-trained head also scores Chinese.

Context parts (``Head.parts``), each a 384-d e5 vector, concatenated:
``self`` (the utterance), ``prev`` (the utterance just before it, any speaker: what the
speaker is reacting to), ``own_prev`` (the same speaker's previous utterance). A missing
context (first utterance) is a zero vector.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from speech.errors import ConfigurationError

log = logging.getLogger(__name__)

HEAD_FILE = Path(__file__).resolve().parent / "weights" / "sentiment_e5_meld.json"
CLASSES = ("negative", "neutral", "positive")
PARTS = ("self", "prev", "own_prev")


def context_features(emb: np.ndarray, speakers: list[str], parts: tuple[str, ...]) -> np.ndarray:
    """Concatenate the requested context parts for every utterance (in conversation order)."""
    n, dim = emb.shape
    zero = np.zeros(dim, dtype=emb.dtype)
    cols: list[np.ndarray] = []
    for part in parts:
        if part == "self":
            cols.append(emb)
        elif part == "prev":
            cols.append(np.vstack([zero[None, :], emb[:-1]]) if n else emb)
        elif part == "own_prev":
            last: dict[str, int] = {}
            rows = []
            for i, spk in enumerate(speakers):
                rows.append(emb[last[spk]] if spk in last else zero)
                last[spk] = i
            cols.append(np.vstack(rows) if rows else emb)
        else:
            raise ValueError(f"unknown context part {part!r} (known: {PARTS})")
    return np.hstack(cols).astype(np.float64)


def valence(proba: np.ndarray, band: float) -> np.ndarray:
    """See :meth:`Head.valence`; columns of ``proba`` follow CLASSES."""
    s = proba[:, 2] - proba[:, 0]
    top = proba.argmax(axis=1)
    inside = band - 1e-3
    return np.where(top == 1, np.clip(s, -inside, inside),
                    np.where(top == 2, np.maximum(s, band), np.minimum(s, -band)))


@dataclass(frozen=True)
class Head:
    """Multinomial logistic regression; rows of ``coef`` follow CLASSES."""

    parts: tuple[str, ...]
    coef: np.ndarray  # (3, 384 * len(parts))
    intercept: np.ndarray  # (3,)
    #: |score| below which an utterance is neutral (see :meth:`valence`)
    band: float
    #: shift detector settings chosen with this head (see speech.shifts.ShiftConfig)
    shift: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def proba(self, x: np.ndarray) -> np.ndarray:
        logits = x @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def valence(self, proba: np.ndarray) -> np.ndarray:
        """The stored sentiment: ``p(positive) - p(negative)``, moved to the band's edge
        where it disagrees with the most probable class, so that the label read from the
        score with ``band`` is always the head's most probable class (the rule that was
        chosen and measured)."""
        return valence(proba, self.band)

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(CLASSES), "parts": list(self.parts), "band": self.band, "shift": self.shift,
            "meta": self.meta,
            "intercept": [round(float(v), 6) for v in self.intercept],
            "coef": [[round(float(v), 5) for v in row] for row in self.coef],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Head":
        if d.get("classes") != list(CLASSES):
            raise ConfigurationError("sentiment head file has unexpected classes", detail=str(d.get("classes")))
        return cls(tuple(d["parts"]), np.asarray(d["coef"], dtype=np.float64),
                   np.asarray(d["intercept"], dtype=np.float64), float(d["band"]),
                   dict(d.get("shift") or {}), dict(d.get("meta") or {}))


@lru_cache(maxsize=1)
def load_head(path: str = str(HEAD_FILE)) -> Head:
    p = Path(path)
    if not p.is_file():
        raise ConfigurationError(f"sentiment head missing: {p}",
                                 detail="reinstall the package or run 'python -m benchmarks.train_sentiment'")
    try:
        return Head.from_json(json.loads(p.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"sentiment head file {p.name} is unreadable: {exc}") from None


def write_head(head: Head, path: Path = HEAD_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(head.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    load_head.cache_clear()
