"""Per-utterance text sentiment in [-1, 1] and a coarse emotion label.

* English (default): the mean of two scorers, each in [-1, 1]: VADER's ``compound``
  (lexicon) and ``p(positive) - p(negative)`` of a small logistic-regression head on the
  bundled all-MiniLM-L6-v2 sentence embedding (``speech/sentiment_embed.py``). If the
  embedding model cannot be loaded, VADER alone, with a warning. ``sentiment_model =
  "vader"`` asks for VADER alone.
* With ``sentiment_model`` (a local transformers text-classification model directory):
  that model for every utterance; its class probabilities are mapped to a score
  (``sum(p(label) * value(label))``, value +1 positive, 0 neutral, -1 negative, stars
  1..5 -> -1..+1).
* Chinese (or any non-English text) without a configured model: ``None``, not a guess, and one
  warning.

``emotion`` is NOT a 7-class emotion classifier. It is, exactly:
``positive`` (sentiment >= 0.1), ``negative`` (<= -0.1), ``neutral`` otherwise (the band
that agreed best with MELD's labels on the benchmark's tuning half); when vocal arousal is known and >= 1.0 (z-score, i.e. one standard
deviation above the speaker's own mean) positive becomes ``excited`` and negative
becomes ``tense``. Without sentiment it is ``high-arousal`` / ``low-arousal`` (|z| >= 1)
or None.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from coach.errors import ConfigurationError, DependencyMissingError
from speech.phrases.text import cjk_share, normalize
from speech.types import Utterance

log = logging.getLogger(__name__)

NEUTRAL_BAND = 0.1
#: sentiment_model value that selects VADER alone for English
VADER_ONLY = "vader"
HIGH_AROUSAL_Z = 1.0
#: an utterance counts as Chinese (not scorable by VADER) above this CJK share
CJK_UTTERANCE_SHARE = 0.5


def emotion_label(sentiment: float | None, arousal: float | None) -> str | None:
    """The coarse label documented in the module docstring."""
    if sentiment is None:
        if arousal is None:
            return None
        if arousal >= HIGH_AROUSAL_Z:
            return "high-arousal"
        if arousal <= -HIGH_AROUSAL_Z:
            return "low-arousal"
        return None
    high = arousal is not None and arousal >= HIGH_AROUSAL_Z
    if sentiment >= NEUTRAL_BAND:
        return "excited" if high else "positive"
    if sentiment <= -NEUTRAL_BAND:
        return "tense" if high else "negative"
    return "neutral"


def polarity_label(score: float, band: float = NEUTRAL_BAND) -> str:
    if score >= band:
        return "positive"
    if score <= -band:
        return "negative"
    return "neutral"


@lru_cache(maxsize=1)
def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - core dependency
        raise DependencyMissingError("vaderSentiment", "English sentiment") from exc
    return SentimentIntensityAnalyzer()


def vader_score(text: str) -> float:
    return float(_vader().polarity_scores(normalize(text))["compound"])


_STARS = re.compile(r"^([1-5])\s*stars?$")


def label_value(label: str, id2label_size: int | None = None, index: int | None = None) -> float | None:
    """Map a classifier label to a valence in [-1, 1]; None when it is not a polarity."""
    low = label.lower().strip()
    m = _STARS.match(low)
    if m:
        return (int(m.group(1)) - 3) / 2.0
    if "pos" in low or low in ("joy", "happy", "happiness", "love"):
        return 1.0
    if "neg" in low or low in ("anger", "sadness", "disgust", "fear", "sad", "angry"):
        return -1.0
    if "neu" in low or low in ("surprise", "other"):
        return 0.0
    m = re.match(r"^label_(\d+)$", low)
    if m and id2label_size in (2, 3):
        idx = int(m.group(1))
        return [-1.0, 1.0][idx] if id2label_size == 2 else [-1.0, 0.0, 1.0][idx]
    return None


class TransformersSentiment:
    """A local transformers text-classification model used as a sentiment scorer."""

    def __init__(self, model_dir: str) -> None:
        path = Path(model_dir).expanduser()
        if not path.is_dir():
            raise ConfigurationError(
                f"sentiment model directory not found: {path}", detail="check speech.sentiment_model"
            )
        try:
            from transformers import pipeline  # noqa: PLC0415 - heavy
        except ImportError as exc:
            raise DependencyMissingError("transformers", "the configured sentiment model") from exc
        try:
            self._pipe = pipeline("text-classification", model=str(path), tokenizer=str(path), top_k=None, device=-1)
        except Exception as exc:  # noqa: BLE001 - any load failure is a configuration problem
            raise ConfigurationError(f"cannot load sentiment model from {path}", detail=str(exc)) from exc
        id2label = getattr(self._pipe.model.config, "id2label", {}) or {}
        self._n_labels = len(id2label) or None
        self._values = {str(lab): label_value(str(lab), self._n_labels) for lab in id2label.values()}
        if not any(v is not None for v in self._values.values()):
            raise ConfigurationError(
                f"sentiment model {path} has labels {sorted(self._values)} that are not polarities",
                detail="use a model whose labels are positive/neutral/negative, LABEL_0..2 or 1..5 stars",
            )
        self.name = path.name

    def score(self, texts: list[str]) -> list[float]:
        results = self._pipe([normalize(t) for t in texts], truncation=True, batch_size=16)
        out: list[float] = []
        for res in results:
            pairs = [(r["label"], float(r["score"])) for r in (res if isinstance(res, list) else [res])]
            num = den = 0.0
            for label, p in pairs:
                v = self._values.get(label, label_value(label, self._n_labels))
                if v is not None:
                    num += p * v
                    den += p
            out.append(max(-1.0, min(1.0, num / den)) if den else 0.0)
        return out


@lru_cache(maxsize=2)
def _load_model(model_dir: str) -> TransformersSentiment:
    return TransformersSentiment(model_dir)


def _embedding_scores(texts: list[str]) -> list[float] | str:
    """Embedding-head scores, or the reason they are unavailable."""
    try:
        from speech.sentiment_embed import EmbeddingSentiment  # noqa: PLC0415 - loads torch lazily

        return EmbeddingSentiment().score(texts)
    except (DependencyMissingError, ConfigurationError, OSError) as exc:
        log.warning("embedding sentiment unavailable, using VADER alone: %s", exc)
        return str(exc)


def score_sentiment(
    utterances: list[Utterance],
    language: str | None,
    sentiment_model: str | None = None,
) -> tuple[list[float | None], list[str]]:
    """Sentiment per utterance (same order) and warnings."""
    warnings: list[str] = []
    if not utterances:
        return [], warnings
    if sentiment_model and sentiment_model != VADER_ONLY:
        model = _load_model(sentiment_model)
        return [round(s, 4) for s in model.score([u.text for u in utterances])], warnings
    lang = (language or "").split("-")[0].lower()
    english = [not ((lang and lang != "en") or cjk_share(u.text) > CJK_UTTERANCE_SHARE) for u in utterances]
    texts = [u.text for u, en in zip(utterances, english) if en]
    vader = [vader_score(t) for t in texts]
    combined = vader
    if texts and sentiment_model != VADER_ONLY:
        emb = _embedding_scores(texts)
        if isinstance(emb, str):
            warnings.append(f"sentence-embedding sentiment unavailable ({emb}); English sentiment is VADER alone")
        else:
            combined = [(v + e) / 2.0 for v, e in zip(vader, emb)]
    it = iter(combined)
    scores: list[float | None] = [round(next(it), 4) if en else None for en in english]
    skipped = english.count(False)
    if skipped:
        what = f"language '{lang}'" if lang and lang != "en" else "non-English utterances"
        warnings.append(
            f"sentiment not scored for {skipped} utterance(s): VADER covers English only (so does the bundled "
            f"MiniLM head) and no "
            f"sentiment model is configured for {what} (set speech.sentiment_model)"
        )
    return scores, warnings
