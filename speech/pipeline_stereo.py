"""Stereo calls: transcribe each party's channel on its own.

Transcribing the mono mix loses whatever one party says while the other talks (Whisper
follows the dominant voice), so a stereo call with one party per channel is transcribed
per channel and every word keeps the channel it came from. Bleed (the quieter copy of
the other party on each channel) is muted before transcription using the
bleed-robust channel activity of :mod:`speech.diarize_stereo`, padded so word edges are
not clipped; the muted stretches are silence to Whisper's VAD, so the two passes
together cost about one pass over the mix.

Overlapping talk means the merged word stream interleaves the two parties, so
utterances are built per speaker (:func:`overlap_aware_utterances`): a speaker's run of
words is only broken where the other party takes a turn in a pause of it, or by the
usual pause/length rules of :func:`speech.utterances.build_utterances`.
"""

from __future__ import annotations

import bisect
import logging
from pathlib import Path
from typing import Any, Callable

import numpy as np

from speech.types import SAMPLE_RATE, DecodedAudio, TranscriptResult, Utterance, Word

log = logging.getLogger(__name__)

#: own-speech activity is widened by this much on each side before muting the rest
PAD_S = 0.4


def is_two_party_stereo(audio: DecodedAudio) -> bool:
    """Two channels with distinct content and speech on both (not dual mono, not one
    silent channel): the layout call recorders use, one party per channel."""
    if audio.channels != 2:
        return False
    from speech.diarize_stereo import channels_identical, silent_channel

    return not channels_identical(audio.samples) and silent_channel(audio.samples) is None


def _dilate(active: np.ndarray, pad: int) -> np.ndarray:
    if pad <= 0 or not active.any():
        return active.astype(bool)
    return np.convolve(active.astype(float), np.ones(2 * pad + 1), mode="same") > 0


def own_speech(channel: np.ndarray, active: np.ndarray, frame_rate: int, *, block_s: float = 60.0) -> np.ndarray:
    """``channel`` with everything outside its own (padded) speech muted.

    Computed block by block; the result is a memory-mapped temp array when the input is
    one, so long recordings stay out of RAM."""
    from speech.decode import is_mapped, release

    mask = _dilate(active, int(PAD_S * frame_rate))
    hop = SAMPLE_RATE // frame_rate
    n = int(channel.shape[0])
    mapped = is_mapped(channel)
    if mapped:
        import tempfile

        tmp = tempfile.NamedTemporaryFile(prefix="salescoach-own-", delete=False)
        tmp.truncate(n * 4)
        out = np.memmap(tmp.name, dtype=np.float32, mode="r+", shape=(n,))
        tmp.close()
        Path(tmp.name).unlink()
    else:
        out = np.empty(n, dtype=np.float32)
    step = int(block_s * SAMPLE_RATE)
    for a in range(0, n, step):
        b = min(a + step, n)
        frames = np.minimum(np.arange(a, b) // hop, mask.size - 1) if mask.size else None
        gain = mask[frames] if frames is not None else np.zeros(b - a, dtype=bool)
        out[a:b] = np.where(gain, np.asarray(channel[a:b], dtype=np.float32), 0.0)
        if mapped:
            release(channel)
            out.flush()
            release(out)
    return out


def transcribe_channels(
    transcriber: Any,
    audio: DecodedAudio,
    *,
    language: str | None,
    on_progress: Callable[[str, float], None] | None = None,
) -> tuple[TranscriptResult, dict[int, int]]:
    """Transcribe both channels; returns the merged result and ``id(word) -> channel``."""
    from speech.diarize_stereo import FRAME_RATE, channel_activity

    act = channel_activity(audio.samples)
    results: list[TranscriptResult] = []
    channel_of: dict[int, int] = {}
    for c in range(2):
        own = own_speech(audio.samples[c], act.active[c], FRAME_RATE)

        def progress(_stage: str, frac: float, c: int = c) -> None:
            if on_progress is not None:
                on_progress("transcribe", (c + frac) / 2)

        res = transcriber.transcribe(own, language=language, on_progress=progress)
        for w in res.words:
            channel_of[id(w)] = c
        results.append(res)
        del own

    words = sorted((w for r in results for w in r.words), key=lambda w: (w.start, w.end))
    main = max(results, key=lambda r: len(r.words))
    lang = language or main.language
    warnings: list[str] = []
    for c, r in enumerate(results):
        for w in r.warnings:
            if "no speech detected" in w:
                continue  # one silent party is reported by diarization
            warnings.append(f"channel {c + 1}: {w}")
    if not words:
        warnings.append(main.warnings[-1] if main.warnings else "no speech detected")
    langs = {r.language for r in results if r.words}
    if len(langs) > 1 and not language:
        warnings.append(f"the channels were detected as different languages ({', '.join(sorted(langs))}); reported {lang}")
    merged = TranscriptResult(
        language=lang or "",
        language_probability=main.language_probability,
        words=words,
        duration_s=audio.duration_s,
        warnings=warnings,
    )
    return merged, channel_of


def label_by_channel(words: list[Word], channel_of: dict[int, int], speaker_channels: dict[str, int]) -> None:
    """Give each word the speaker of the channel it was transcribed from (in place)."""
    names = {ch: spk for spk, ch in speaker_channels.items()}
    for w in words:
        c = channel_of.get(id(w))
        if c is None:
            continue
        if c not in names:
            names[c] = f"S{len(names) + 1}"
        w.speaker = names[c]


def overlap_aware_utterances(words: list[Word], build: Callable[[list[Word]], list[Utterance]]) -> list[Utterance]:
    """Utterances per speaker, broken where another speaker takes a turn in a pause;
    sorted by start and numbered ``u1, u2, ...``."""
    by_speaker: dict[str, list[Word]] = {}
    for w in sorted(words, key=lambda w: (w.start, w.end)):
        by_speaker.setdefault(w.speaker or "S?", []).append(w)
    out: list[Utterance] = []
    for spk, own in by_speaker.items():
        others = sorted((w.start + w.end) / 2 for s, ws in by_speaker.items() if s != spk for w in ws)
        run: list[Word] = []
        for w in own:
            if run:
                lo, hi = run[-1].end, w.start
                k = bisect.bisect_right(others, lo)
                if k < len(others) and others[k] < hi:  # the other party spoke in this pause
                    out.extend(build(run))
                    run = []
            run.append(w)
        if run:
            out.extend(build(run))
    out.sort(key=lambda u: (u.start, u.end))
    for k, u in enumerate(out, start=1):
        u.id = f"u{k}"
    return out
