"""Who spoke when, and who spoke each ASR word.

``diarize(audio, words)`` picks the method from the audio:

* ``stereo-channels``: two channels with distinct content, one party per channel
  (``speech.diarize_stereo``: bleed-robust per-channel activity; turns may overlap).
* ``mono-clustering``: one channel, or two carrying the same signal, or one silent
  channel (``speech.diarize_mono``: d-vectors per word, spectral clustering, speaker
  count estimation, Viterbi re-segmentation).
* ``single``: nothing to separate (no words, or a single speaker was requested).

It sets ``word.speaker`` on every word in place. Speaker ids are ``S1``, ``S2``, ...
in order of first appearance. ``speaker_embeddings`` holds one unit-norm Resemblyzer
embedding per speaker (for matching an enrolled rep voice, ``speech.voiceprint``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from speech.errors import InputError
from speech.types import DecodedAudio, SpeakerTurn, Word

if TYPE_CHECKING:
    from speech.diarize_early import EarlyFeatures

log = logging.getLogger(__name__)

#: same-speaker words closer than this are one turn (seconds)
TURN_GAP_S = 1.0
#: per-speaker speech used for a stereo speaker's embedding (bounds the cost)
EMBED_SPEECH_CAP_S = 60.0


@dataclass
class DiarizationResult:
    turns: list[SpeakerTurn]
    speaker_embeddings: dict[str, np.ndarray]
    warnings: list[str]
    method: str  # "stereo-channels" | "mono-clustering" | "single"
    #: stereo only: speaker id -> channel index (0 = left)
    speaker_channels: dict[str, int] = field(default_factory=dict)


def diarize(
    audio: DecodedAudio,
    words: list[Word],
    *,
    num_speakers: int | None = None,
    max_speakers: int = 6,
    early: EarlyFeatures | None = None,
) -> DiarizationResult:
    """Diarize ``audio`` and label ``words`` in place (see the module docstring).
    ``early``: features of the same audio computed while it was being transcribed
    (``speech.diarize_early``); the result is the same with or without them."""
    samples = np.asarray(audio.samples)
    if samples.ndim != 2 or samples.shape[0] < 1:
        raise InputError("audio to diarize must be shaped (channels, samples)")
    if num_speakers is not None and num_speakers < 1:
        raise InputError(f"--speakers must be at least 1 (got {num_speakers})")
    max_speakers = max(1, max_speakers)
    if num_speakers is not None and num_speakers > max_speakers:
        max_speakers = num_speakers
    words = sorted(words, key=lambda w: (w.start, w.end)) if any(
        words[i].start < words[i - 1].start for i in range(1, len(words))
    ) else words

    mono, warnings = diarization_signal(samples)
    if mono is None:
        if num_speakers is not None and num_speakers != 2:
            warnings.append(f"stereo recording: one party per channel, so 2 speakers (not {num_speakers})")
        return _stereo(samples[:2], words, warnings, early)
    if early is not None and early.mel is not None and len(early.mel) != 1 + max(mono.size, 400) // 160:
        early = None  # computed on another signal
    return _mono(mono, words, num_speakers, max_speakers, warnings, early)


def diarization_signal(samples: np.ndarray) -> tuple[np.ndarray | None, list[str]]:
    """The one signal mono diarization runs on (and warnings), or ``None`` when the first
    two channels carry two parties (stereo diarization)."""
    warnings: list[str] = []
    if samples.shape[0] < 2:
        return samples[0], warnings
    from speech import diarize_stereo as st

    if samples.shape[0] > 2:
        warnings.append(f"{samples.shape[0]} audio channels: only the first two are used for diarization")
    two = samples[:2]
    if st.channels_identical(two):
        log.info("both channels carry the same signal: diarizing as mono")
        return two.mean(axis=0), warnings
    silent = st.silent_channel(two)
    if silent is not None:
        warnings.append(f"channel {silent + 1} of the stereo recording is silent: speakers separated by voice")
        return two[1 - silent], warnings
    return None, warnings


# ------------------------------------------------------------------------ mono ----
def _mono(
    mono: np.ndarray,
    words: list[Word],
    num_speakers: int | None,
    max_speakers: int,
    warnings: list[str],
    early: EarlyFeatures | None = None,
) -> DiarizationResult:
    from speech.diarize_mono import cluster_words

    if not words:
        return DiarizationResult([], {}, warnings, "single")
    if num_speakers == 1:
        return _single(mono, words, warnings, early)
    extra = {"early": early} if early is not None else {}
    res = cluster_words(mono, words, num_speakers=num_speakers, max_speakers=max_speakers, **extra)
    warnings.extend(res.warnings)
    names = _names_by_appearance(words, list(res.labels))
    for w, lab in zip(words, res.labels):
        w.speaker = names[int(lab)]
    embeddings = {names[k]: res.centroids[k] for k in names}
    method = "mono-clustering" if len(names) > 1 or num_speakers is None else "single"
    return DiarizationResult(words_to_turns(words), embeddings, warnings, method)


def _single(mono: np.ndarray, words: list[Word], warnings: list[str], early: EarlyFeatures | None = None) -> DiarizationResult:
    from speech.voiceprint import embed_windows, mel_frames, unit_rows

    for w in words:
        w.speaker = "S1"
    centers = np.array([(w.start + w.end) / 2 for w in words])
    if early is not None and early.mel is not None:
        emb = embed_windows(early.mel, centers, cache=early.windows)
    else:
        emb = embed_windows(mel_frames(mono), centers)
    return DiarizationResult(words_to_turns(words), {"S1": unit_rows(emb.mean(axis=0))}, warnings, "single")


# ---------------------------------------------------------------------- stereo ----
def _stereo(samples: np.ndarray, words: list[Word], warnings: list[str], early: EarlyFeatures | None = None) -> DiarizationResult:
    from speech import diarize_stereo as st

    act = early.activity if early is not None and early.activity is not None else st.channel_activity(samples)
    chans = st.assign_words(words, act) if words else []
    # turns: each channel's own activity, plus the span of every word given to it
    mask = act.active.copy()
    for w, c in zip(words, chans):
        mask[c, int(w.start * st.FRAME_RATE) : int(np.ceil(w.end * st.FRAME_RATE))] = True
    act.active = np.stack([st.smooth_activity(m) for m in mask])
    raw_turns = st.channel_turns(act)

    order: list[int] = list(dict.fromkeys(chans)) if chans else []
    for _, _, c in raw_turns:
        if c not in order:
            order.append(c)
    names = {c: f"S{i + 1}" for i, c in enumerate(order)}
    for w, c in zip(words, chans):
        w.speaker = names[c]
    turns = [SpeakerTurn(start=round(float(s), 3), end=round(float(e), 3), speaker=names[c]) for s, e, c in raw_turns]
    if len(order) < 2:
        warnings.append("only one channel of the stereo recording carries speech: one speaker")
    mels = early.channel_mels if early is not None else None
    embeddings = _channel_embeddings(samples, act.active, names, mels)
    return DiarizationResult(turns, embeddings, warnings, "stereo-channels", {v: k for k, v in names.items()})


def _channel_embeddings(
    samples: np.ndarray, active: np.ndarray, names: dict[int, str], mels: list[np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    from speech.voiceprint import embed_windows, mel_frames, speech_centers, unit_rows

    out: dict[str, np.ndarray] = {}
    for c, name in names.items():
        centers = speech_centers(active[c])[: int(EMBED_SPEECH_CAP_S / 0.6)]
        if centers.size == 0:
            continue
        emb = embed_windows(mels[c] if mels else mel_frames(samples[c]), centers)
        out[name] = unit_rows(emb.mean(axis=0))
    return out


# --------------------------------------------------------------------- helpers ----
def _names_by_appearance(words: list[Word], labels: list[int]) -> dict[int, str]:
    order = list(dict.fromkeys(labels))
    return {lab: f"S{i + 1}" for i, lab in enumerate(order)}


def words_to_turns(words: list[Word], gap_s: float = TURN_GAP_S) -> list[SpeakerTurn]:
    """Consecutive same-speaker words closer than ``gap_s`` form one turn."""
    turns: list[SpeakerTurn] = []
    for w in words:
        if turns and turns[-1].speaker == w.speaker and w.start - turns[-1].end <= gap_s:
            turns[-1].end = max(turns[-1].end, w.end)
        else:
            turns.append(SpeakerTurn(start=w.start, end=w.end, speaker=w.speaker or "S1"))
    return turns
