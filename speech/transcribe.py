"""Transcription with faster-whisper (CTranslate2, int8 on CPU by default).

One :class:`Transcriber` loads its model once, lazily, and is safe to share between
threads (calls are serialised). Long audio is transcribed in chunks of
``SpeechSettings.chunk_s`` seconds cut at quiet points (:func:`speech.decode.iter_chunks`)
so the features faster-whisper computes for a chunk stay bounded; the language found in
the first chunk with speech is forced on the following ones.

Decoding options are faster-whisper's defaults plus ``beam_size``, Silero VAD
(``vad_filter``) and word timestamps, so a bare ``WhisperModel.transcribe`` with the same
options is a like-for-like baseline (benchmarks/speech_wer.py). The custom vocabulary
(``SpeechSettings.vocabulary``) is passed as ``hotwords``. Whisper writes Chinese in
traditional or simplified characters unpredictably; ``SpeechSettings.chinese_script``
converts it to one script with OpenCC (default simplified).

``Word.text`` keeps Whisper's spelling of the token, including its leading space for
languages written with spaces: ``"".join(w.text for w in words)`` is the transcript.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from pathlib import Path
from typing import Any, Callable

import numpy as np

from speech.errors import DependencyMissingError
from speech.settings import SpeechSettings
from speech.decode import iter_chunks
from speech.types import SAMPLE_RATE, ProgressCallback, TranscriptResult, Word

log = logging.getLogger(__name__)

#: below this detection probability the language is reported as uncertain
LANGUAGE_CONFIDENCE_MIN = 0.5
NO_SPEECH_WARNING = "no speech detected (silence, noise or music only): the transcript is empty"


def supported_languages() -> tuple[str, ...]:
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES
    except ImportError as exc:  # pragma: no cover
        raise DependencyMissingError("faster-whisper", "transcription") from exc
    return tuple(_LANGUAGE_CODES)


_OPENCC: dict[str, Any] = {}


def _opencc(config: str) -> Any:
    if config not in _OPENCC:
        try:
            import opencc
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise DependencyMissingError("opencc", "writing Chinese transcripts in one script") from exc
        _OPENCC[config] = opencc.OpenCC(config)
    return _OPENCC[config]


def to_script(words: list[Word], converter: Any) -> list[Word]:
    """Convert the words' text (in place) with an OpenCC converter. The segment is
    converted as a whole so phrase rules apply, then split back at the word boundaries
    when the length is unchanged (it is for t2s/s2t); otherwise word by word."""
    if not words:
        return words
    joined = "".join(w.text for w in words)
    converted = converter.convert(joined)
    if len(converted) == len(joined):
        pos = 0
        for w in words:
            w.text = converted[pos : pos + len(w.text)]
            pos += len(w.text)
    else:
        for w in words:
            w.text = converter.convert(w.text)
    return words


def _has_letters(text: str) -> bool:
    """True when the text has a letter or digit in any script (music notes do not)."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


class Transcriber:
    """faster-whisper behind a small typed interface."""

    def __init__(self, settings: SpeechSettings, cache_dir: str | Path, *, model: Any | None = None) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir)
        self._model = model
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ model --
    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from faster_whisper import WhisperModel
                except ImportError as exc:  # pragma: no cover
                    raise DependencyMissingError("faster-whisper", "transcription") from exc
                from speech.models import whisper_model_ref

                ref = whisper_model_ref(self.settings, self.cache_dir)
                log.info("loading Whisper model %s (%s, %s)", ref, self.settings.device, self.settings.compute_type)
                self._model = WhisperModel(
                    ref,
                    device=self.settings.device,
                    compute_type=self.settings.compute_type,
                    cpu_threads=self.settings.cpu_threads,
                    local_files_only=True,
                )
            return self._model

    def transcribe_options(self) -> dict[str, Any]:
        """Options passed to ``WhisperModel.transcribe`` (besides audio and language)."""
        opts: dict[str, Any] = {
            "beam_size": self.settings.beam_size,
            "vad_filter": self.settings.vad_filter,
            "word_timestamps": True,
        }
        vocab = [v.strip() for v in self.settings.vocabulary if v.strip()]
        if vocab:
            opts["hotwords"] = ", ".join(vocab)
        return opts

    # ------------------------------------------------------------- transcribe --
    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        on_words: Callable[[list[Word]], None] | None = None,
    ) -> TranscriptResult:
        """Transcribe mono 16 kHz float32 audio; empty audio gives an empty result.

        ``on_words`` receives each decoded segment's words as soon as they exist (the
        pipeline starts diarization work on them while Whisper goes on); a failing
        callback is logged and never breaks transcription."""
        samples = np.asarray(samples) if not isinstance(samples, np.ndarray) else samples
        if samples.ndim != 1:
            raise ValueError(f"transcribe expects mono audio, got shape {samples.shape}")
        duration = samples.shape[0] / SAMPLE_RATE
        warnings: list[str] = []
        forced = (language or self.settings.language or "").strip().lower() or None
        if forced and forced not in supported_languages():
            warnings.append(f"unknown language code {forced!r}: the language was detected instead")
            forced = None

        words: list[Word] = []
        lang, lang_p = forced, 1.0 if forced else 0.0
        opts = self.transcribe_options()
        with self._lock:
            model = self.model
            for offset, chunk in iter_chunks(samples, self.settings.chunk_s):
                if chunk.size < SAMPLE_RATE // 10:
                    continue
                use = forced or (lang if words else None)
                segments, info = model.transcribe(chunk, language=use, **opts)
                if use is None:  # detected on this chunk
                    lang, lang_p = info.language, float(info.language_probability)
                convert = self._script_converter(use or lang)
                for seg in segments:
                    new = self._segment_words(seg, offset, words)
                    new = convert(new) if convert else new
                    words.extend(new)
                    if on_words is not None and new:
                        try:
                            on_words(new)
                        except Exception:
                            log.warning("on_words callback failed", exc_info=True)
                    if on_progress is not None and duration > 0:
                        on_progress("transcribe", min(1.0, (offset + float(seg.end)) / duration))
                if on_progress is not None and duration > 0:
                    on_progress("transcribe", min(1.0, (offset + chunk.size / SAMPLE_RATE) / duration))

        if not words:
            warnings.append(NO_SPEECH_WARNING)
            if not forced:  # a language "detected" on silence means nothing
                lang, lang_p = None, 0.0
        elif not forced and lang_p < LANGUAGE_CONFIDENCE_MIN:
            warnings.append(
                f"language uncertain: detected {lang!r} with probability {lang_p:.2f};"
                " pass --language to force it"
            )
        return TranscriptResult(
            language=lang or "",
            language_probability=lang_p,
            words=words,
            duration_s=duration,
            warnings=warnings,
        )

    def _script_converter(self, language: str | None):
        """Words -> words in the configured Chinese script (None when not applicable)."""
        script = (self.settings.chinese_script or "").strip().lower()
        if language != "zh" or script not in ("simplified", "traditional"):
            return None
        converter = _opencc("t2s" if script == "simplified" else "s2t")
        return lambda ws: to_script(ws, converter)

    @staticmethod
    def _segment_words(seg: Any, offset: float, previous: list[Word]) -> list[Word]:
        """Words of one segment on the recording's clock, monotonic and non-overlapping."""
        if not _has_letters(seg.text or ""):
            log.debug("dropping segment without letters: %r", seg.text)
            return []
        out: list[Word] = []
        prev_end = previous[-1].end if previous else 0.0
        for w in seg.words or []:
            text = w.word
            if not text.strip():
                continue
            start = max(round(offset + float(w.start), 3), prev_end)
            end = max(round(offset + float(w.end), 3), start)
            out.append(Word(start=start, end=end, text=text, probability=float(w.probability)))
            prev_end = end
        return out
