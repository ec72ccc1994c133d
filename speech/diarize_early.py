"""Diarization features computed while the audio is being transcribed.

faster-whisper (CTranslate2, int8) keeps about one of the machine's cores busy; the
other is idle for the whole transcription. :class:`EarlyDiarization` uses it: started
right after decoding, a background thread computes what diarization needs that does
not depend on the words (the mel spectrogram of the signal diarization will run on, or
both channels' mels and activity for a two-party stereo call), then embeds each ASR
word's window as the words come out of the transcriber (``feed``), and the short
isolated segments as soon as the pause after them is known. After transcription,
``finish()`` stops it and hands the :class:`EarlyFeatures` to ``speech.diarize``,
which embeds only what is still missing: the result is the same as without it (the
same windows of the same mel go through the same encoder), only sooner.

torch runs on one thread in the background (``torch.set_num_threads`` is process-wide:
the previous value is restored when the thread ends), so it does not compete with
CTranslate2 for the transcription's core; numpy's FFT and torch's LSTM release the GIL.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from speech.types import DecodedAudio, Word

log = logging.getLogger(__name__)

#: words embedded together in the background (one LSTM batch)
BATCH_WORDS = 32
#: the background thread embeds what it holds after this long without new words (s)
IDLE_FLUSH_S = 0.5


@dataclass
class EarlyFeatures:
    """What the background thread computed; every field may be empty/None."""

    #: mel frames of the mono diarization signal (None for a two-party stereo call)
    mel: np.ndarray | None = None
    #: window first frame -> raw encoder output (``voiceprint.embed_windows`` cache)
    windows: dict[int, np.ndarray] = field(default_factory=dict)
    #: (lo, hi) frame range -> raw encoder output (``diarize_mono.embed_tiled`` cache)
    tiled: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    #: two-party stereo: mel frames of each channel, and their activity
    channel_mels: list[np.ndarray] | None = None
    activity: Any = None
    #: seconds of work done in the background
    busy_s: float = 0.0


class EarlyDiarization:
    """Background diarization features for one recording (see the module docstring)."""

    def __init__(self, audio: DecodedAudio) -> None:
        self._samples = np.asarray(audio.samples)
        self._queue: queue.Queue[list[Word] | None] = queue.Queue()
        self._stop = threading.Event()
        self.features = EarlyFeatures()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="early-diarization", daemon=True)

    def start(self) -> EarlyDiarization:
        self._thread.start()
        return self

    def feed(self, words: list[Word]) -> None:
        """New words from the transcriber, in time order (thread-safe)."""
        if words and not self._stop.is_set():
            self._queue.put(list(words))

    def finish(self) -> EarlyFeatures | None:
        """Stop the thread (what it has not embedded yet is left to ``diarize``) and
        return its features; ``None`` if it failed (diarization then does it all)."""
        self._stop.set()
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            log.warning("early diarization features failed; computing them after transcription", exc_info=self.error)
            return None
        log.debug("early diarization: %.1f s of work overlapped with transcription, %d windows",
                  self.features.busy_s, len(self.features.windows))
        return self.features

    # ------------------------------------------------------------ background --
    def _run(self) -> None:
        try:
            import torch

            previous = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                self._work()
            finally:
                torch.set_num_threads(previous)
        except BaseException as exc:  # reported by finish(); never kills the analysis
            self.error = exc

    def _work(self) -> None:
        from speech.diarize import diarization_signal
        from speech.voiceprint import mel_frames, voice_encoder

        t0 = time.perf_counter()
        voice_encoder()
        mono, _ = diarization_signal(self._samples)
        f = self.features
        if mono is None:  # two-party stereo: nothing depends on the words
            from speech.diarize_stereo import channel_activity

            two = self._samples[:2]
            f.activity = channel_activity(two)
            f.channel_mels = [mel_frames(two[c]) for c in range(2)]
            f.busy_s = time.perf_counter() - t0
            return
        f.mel = mel_frames(mono)
        f.busy_s = time.perf_counter() - t0
        self._embed_stream()

    def _embed_stream(self) -> None:
        from speech.diarize_mono import PAUSE_S, SHORT_SEGMENT_S, embed_tiled
        from speech.voiceprint import embed_windows

        f = self.features
        pending: list[Word] = []
        segment: list[Word] = []  # the current pause segment (its end is not known yet)
        spans: list[tuple[float, float]] = []
        done = False
        while not done and not self._stop.is_set():
            try:
                item = self._queue.get(timeout=IDLE_FLUSH_S)
            except queue.Empty:
                item = []
            if item is None:
                break
            for w in item:
                if segment and w.start - segment[-1].end >= PAUSE_S:
                    if segment[-1].end - segment[0].start < SHORT_SEGMENT_S:
                        spans.append((segment[0].start, segment[-1].end))
                    segment = []
                segment.append(w)
            pending.extend(item)
            if len(pending) >= BATCH_WORDS or (not item and pending) or (spans and not item):
                if self._stop.is_set():
                    done = True
                    continue
                t0 = time.perf_counter()
                if pending:
                    embed_windows(f.mel, np.array([(w.start + w.end) / 2 for w in pending]), cache=f.windows)
                if spans:
                    embed_tiled(f.mel, spans, cache=f.tiled)
                f.busy_s += time.perf_counter() - t0
                pending, spans = [], []
