"""Speaker embeddings (Resemblyzer d-vectors) and enrolled-voice matching.

One place loads Resemblyzer's ``VoiceEncoder`` (its weights ship inside the pip
package; CPU; loaded once per process) and turns audio into embeddings, so that
diarization (per-word windows, per-speaker centroids) and enrollment (a rep's voice
sample) live in the same embedding space and can be compared with a cosine.

The encoder is an LSTM over 40-band mel frames (10 ms hop). We compute the mel
spectrogram once for a whole recording (block by block, so the STFT's working memory
stays bounded) and slice fixed-length windows out of it,
batching them through the LSTM: far cheaper than one ``embed_utterance`` call per
segment.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from speech.errors import DependencyMissingError, InputError
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


#: mel frames computed per block (bounds the STFT's working memory: ~4 MB a block)
MEL_BLOCK_FRAMES = 6000
_N_FFT, _HOP = 400, 160  # Resemblyzer: 25 ms window, 10 ms hop at 16 kHz


def _volume_gain(wav: np.ndarray, block: int = 1 << 20) -> np.float32:
    """Resemblyzer's normalize_volume (to -30 dBFS, increase only) as a gain, computed
    block by block (no float64 copy of the recording); 1 on digital silence."""
    if wav.size == 0:
        return np.float32(1.0)
    energy = 0.0
    for i in range(0, wav.size, block):
        part = np.nan_to_num(np.asarray(wav[i : i + block], dtype=np.float64))
        energy += float(np.dot(part, part))
    rms = float(np.sqrt(energy / wav.size))
    if rms > 1e-6 and 20 * np.log10(rms) < -30:
        return np.float32(10 ** ((-30 - 20 * np.log10(rms)) / 20))
    return np.float32(1.0)


def mel_frames(samples: np.ndarray, block_frames: int = MEL_BLOCK_FRAMES) -> np.ndarray:
    """(frames, 40) mel power spectrogram as Resemblyzer computes it, volume-normalised.

    Computed ``block_frames`` frames at a time on zero-padded slices that reproduce
    librosa's centred framing exactly, so the working memory is bounded whatever the
    length (the result itself is 16 KB per second of audio)."""
    try:
        import librosa
        from resemblyzer.hparams import mel_n_channels, sampling_rate
    except ImportError as exc:  # pragma: no cover
        raise DependencyMissingError("resemblyzer", "speech/speaker embeddings (resemblyzer, librosa)") from exc
    wav = np.asarray(samples).reshape(-1)
    if wav.size < 400:  # as before: shorter input is zero-padded to one window
        wav = np.pad(np.asarray(wav, dtype=np.float32), (0, 400 - wav.size))
    n = wav.size
    gain = _volume_gain(wav)
    total = 1 + n // _HOP  # frames of librosa's centred STFT
    out = np.empty((total, mel_n_channels), dtype=np.float32)
    half = _N_FFT // 2
    for f0 in range(0, total, block_frames):
        f1 = min(f0 + block_frames, total)
        a, b = f0 * _HOP - half, (f1 - 1) * _HOP + half  # samples this block's frames cover
        seg = np.zeros(b - a, dtype=np.float32)
        lo, hi = max(a, 0), min(b, wav.size)
        if hi > lo:
            seg[lo - a : hi - a] = np.nan_to_num(np.asarray(wav[lo:hi], dtype=np.float32)) * gain
        mel = librosa.feature.melspectrogram(
            y=seg, sr=sampling_rate, n_fft=_N_FFT, hop_length=_HOP, n_mels=mel_n_channels, center=False
        )
        out[f0:f1] = mel.T
    return out


def window_starts(n_frames: int, centers_s: np.ndarray, frames: int = WINDOW_FRAMES) -> np.ndarray:
    """First mel frame of each ``frames``-long window centred at ``centers_s`` seconds,
    shifted to stay inside a recording of ``n_frames`` frames."""
    n = max(n_frames, frames)
    return np.clip(np.round(np.asarray(centers_s, dtype=float) * FRAME_RATE).astype(int) - frames // 2, 0, n - frames)


def embed_windows(
    mel: np.ndarray,
    centers_s: np.ndarray,
    frames: int = WINDOW_FRAMES,
    batch: int = 256,
    cache: dict[int, np.ndarray] | None = None,
) -> np.ndarray:
    """Unit-norm embeddings of ``frames``-long windows centred at ``centers_s`` seconds.

    Windows are shifted to stay inside the recording; a recording shorter than one
    window is zero-padded. ``cache`` maps a window's first frame to the encoder's raw
    output for it (filled ahead of time by ``speech.diarize_early``, and here with what
    is computed); only windows missing from it go through the encoder.
    """
    import torch

    n = len(mel)
    if n < frames:
        mel = np.pad(mel, ((0, frames - n), (0, 0)))
        n = frames
    starts = window_starts(n, centers_s, frames)
    out = np.empty((len(starts), 256), dtype=np.float32)
    cache = {} if cache is None else cache
    todo = sorted({int(s) for s in starts} - cache.keys())
    if todo:
        enc = voice_encoder()
        with torch.inference_mode():
            for i in range(0, len(todo), batch):
                chunk = todo[i : i + batch]
                raw = enc(torch.from_numpy(np.stack([mel[s : s + frames] for s in chunk]))).cpu().numpy()
                cache.update(zip(chunk, raw))
    for i, s in enumerate(starts):
        out[i] = cache[int(s)]
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
