"""Speaker embeddings (Resemblyzer d-vectors) and enrolled-voice matching.

One place loads Resemblyzer's ``VoiceEncoder`` (its weights ship inside the pip
package; CPU; loaded once per process) and turns audio into embeddings, so that
diarization (per-word windows, per-speaker centroids) and enrollment (a rep's voice
sample) live in the same embedding space and can be compared with a cosine.

The encoder is an LSTM over 40-band mel frames (10 ms hop). We compute the mel
spectrogram once for a whole recording and slice fixed-length windows out of it,
batching them through the LSTM: far cheaper than one ``embed_utterance`` call per
segment.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from coach.errors import DependencyMissingError, InputError
from speech.types import SAMPLE_RATE

log = logging.getLogger(__name__)

#: mel frames per second (Resemblyzer: 10 ms hop)
FRAME_RATE = 100
#: window the diarizer and enrollment embed (frames): 1.2 s
WINDOW_FRAMES = 120
#: enrollment needs at least this much speech (seconds)
MIN_ENROLL_SPEECH_S = 2.0
#: cosine similarity above which a diarized speaker is taken to be the enrolled voice.
#: Measured on the shared clips (docs/speakers.md): an enrollment from other recordings of
#: the same voice scores 0.84-0.95 against that voice's diarized speaker, other voices
#: 0.42-0.77.
DEFAULT_MATCH_THRESHOLD = 0.80

_encoder: Any = None
_lock = threading.Lock()


def voice_encoder() -> Any:
    """Resemblyzer's ``VoiceEncoder`` on CPU, loaded once (thread-safe)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                try:
                    import warnings

                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # pkg_resources deprecation
                        from resemblyzer import VoiceEncoder
                except ImportError as exc:  # pragma: no cover - install problem
                    raise DependencyMissingError("resemblyzer", "speaker embeddings") from exc
                _encoder = VoiceEncoder("cpu", verbose=False)
                log.debug("Resemblyzer VoiceEncoder loaded")
    return _encoder


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram as Resemblyzer computes it, volume-normalised."""
    try:
        from resemblyzer.audio import wav_to_mel_spectrogram
    except ImportError as exc:  # pragma: no cover
        raise DependencyMissingError("resemblyzer", "speaker embeddings") from exc
    wav = np.nan_to_num(np.asarray(samples, dtype=np.float32).reshape(-1))
    if wav.size < 400:
        wav = np.pad(wav, (0, 400 - wav.size))
    # Resemblyzer's normalize_volume (to -30 dBFS, increase only), safe on digital silence
    rms = float(np.sqrt(np.mean(wav.astype(np.float64) ** 2)))
    if rms > 1e-6 and 20 * np.log10(rms) < -30:
        wav = wav * np.float32(10 ** ((-30 - 20 * np.log10(rms)) / 20))
    return wav_to_mel_spectrogram(wav).astype(np.float32)


def embed_windows(mel: np.ndarray, centers_s: np.ndarray, frames: int = WINDOW_FRAMES, batch: int = 256) -> np.ndarray:
    """Unit-norm embeddings of ``frames``-long windows centred at ``centers_s`` seconds.

    Windows are shifted to stay inside the recording; a recording shorter than one
    window is zero-padded.
    """
    import torch

    enc = voice_encoder()
    n = len(mel)
    if n < frames:
        mel = np.pad(mel, ((0, frames - n), (0, 0)))
        n = frames
    starts = np.clip(np.round(np.asarray(centers_s) * FRAME_RATE).astype(int) - frames // 2, 0, n - frames)
    out = np.empty((len(starts), 256), dtype=np.float32)
    with torch.inference_mode():
        for i in range(0, len(starts), batch):
            chunk = np.stack([mel[s : s + frames] for s in starts[i : i + batch]])
            out[i : i + batch] = enc(torch.from_numpy(chunk)).cpu().numpy()
    return unit_rows(out)


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-9)


def speech_mask(samples: np.ndarray, frame_rate: int = FRAME_RATE) -> np.ndarray:
    """Per-frame speech flags from energy: frames within 30 dB of the loud frames and
    8 dB above the noise floor. Used for enrollment samples (no ASR words there)."""
    hop = SAMPLE_RATE // frame_rate
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0, dtype=bool)
    frames = np.asarray(samples[: n * hop], dtype=np.float64).reshape(n, hop)
    db = 10 * np.log10((frames**2).mean(axis=1) + 1e-12)
    floor, loud = np.percentile(db, 10), np.percentile(db, 95)
    # no quiet stretch at all (speech from start to end): every frame counts
    thr = floor - 1.0 if loud - floor < 10.0 else max(floor + 8.0, loud - 30.0)
    return (db > thr) & (db > -60.0)


def speech_centers(mask: np.ndarray, frames: int = WINDOW_FRAMES, hop: int | None = None) -> np.ndarray:
    """Centres (seconds) of windows laid every ``hop`` frames over speech frames."""
    hop = hop or frames // 2
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return np.zeros(0)
    centers = [c for c in range(idx[0], idx[-1] + 1, hop) if mask[max(c - frames // 2, 0) : c + frames // 2].mean() >= 0.5]
    return np.asarray(centers, dtype=float) / FRAME_RATE


def embed_voice(audio_mono_16k: np.ndarray) -> np.ndarray:
    """Unit-norm voiceprint of an enrollment sample (mean of 1.2 s window embeddings
    over its speech). Raises ``InputError`` when it holds under ~2 s of speech."""
    samples = np.asarray(audio_mono_16k, dtype=np.float32).reshape(-1)
    if samples.size == 0 or not np.isfinite(samples).all():
        raise InputError("the voice sample is empty or holds invalid samples")
    mask = speech_mask(samples)
    speech_s = float(mask.sum()) / FRAME_RATE
    if speech_s < MIN_ENROLL_SPEECH_S:
        raise InputError(
            f"the voice sample holds only {speech_s:.1f} s of speech",
            detail=f"record at least {MIN_ENROLL_SPEECH_S:.0f} s (better 10-30 s) of the rep speaking",
        )
    centers = speech_centers(mask)
    if centers.size == 0:
        centers = np.flatnonzero(mask)[[len(np.flatnonzero(mask)) // 2]] / FRAME_RATE
    emb = embed_windows(mel_frames(samples), centers)
    return unit_rows(emb.mean(axis=0))


def match_speaker(
    speaker_embeddings: dict[str, np.ndarray],
    enrolled: np.ndarray,
    threshold: float = DEFAULT_MATCH_THRESHOLD,
) -> tuple[str | None, float]:
    """The speaker whose embedding is closest (cosine) to ``enrolled``, and that
    similarity; ``None`` as speaker when the best similarity is under ``threshold``
    (or there are no speakers). Two speakers both above the threshold usually mean the
    diarizer split one voice; the closer one is returned."""
    ref = unit_rows(np.asarray(enrolled, dtype=np.float32).reshape(-1))
    scores = sorted(
        ((float(unit_rows(np.asarray(e, dtype=np.float32).reshape(-1)) @ ref), spk) for spk, e in speaker_embeddings.items()),
        reverse=True,
    )
    if not scores:
        return None, 0.0
    best, spk = scores[0]
    if best < threshold:
        return None, best
    return spk, best
