"""Stereo diarization: one party per channel.

Call recorders put each party on its own channel, but each channel usually also carries
a quieter copy of the other party (bleed-through, echo, side-tone). A level threshold
alone would turn that bleed into phantom turns, so a channel counts as speaking in a
frame only where its level is above its own speech threshold AND above what the other
channel's bleed would explain:

    active_c(t) = E_c(t) > thr_c  and  E_c(t) > E_o(t) + leak_{o->c} + LEAK_MARGIN_DB

``leak_{o->c}`` (dB) is estimated from the recording itself, when channel c holds a
waveform copy of o at all (cross-correlation within 50 ms): a low percentile of the level
difference E_c - E_o over the frames where the other channel leads. Real
overlapping speech stays (both parties above the bleed line); activity is then
smoothed (short gaps bridged, blips dropped) into per-channel turns, which may overlap.

Each ASR word goes to the channel that is active over it; a word under overlapping
talk (or under no activity) is ambiguous and stays with the speaker of the nearest
unambiguous word, so bleed never flips a word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from speech.types import SAMPLE_RATE, Word

log = logging.getLogger(__name__)

FRAME_RATE = 100  # 10 ms frames
WIN = 400  # 25 ms analysis window
#: own speech must stand this far above the estimated bleed line
LEAK_MARGIN_DB = 6.0
#: bleed gain = this percentile of the level difference where the other channel leads
LEAK_PERCENTILE = 20
#: a difference smaller than this is never bleed (even crosstalk-heavy lines leak less)
MAX_LEAK_DB = -12.0
#: bleed is a waveform copy: normalised cross-correlation at least this, within this lag
COPY_CORR_MIN = 0.2
MAX_LAG_S = 0.05
#: seconds of other-party speech used for that check
COPY_CHECK_S = 60.0
#: the bleed gain assumed when a channel holds no copy of the other
NO_LEAK_DB = -120.0
#: a channel's speech threshold: above its noise floor by this much...
FLOOR_MARGIN_DB = 6.0
#: ...and within this many dB of its loud frames
DYNAMIC_RANGE_DB = 40.0
#: bridge silences shorter than this inside a turn; drop activity shorter than this
BRIDGE_S = 0.5
MIN_ACTIVE_S = 0.15
#: a word is one channel's when that channel is active over this much more of it
WORD_OWN_MARGIN = 0.5
#: correlation above which two channels are the same signal (mono saved as stereo)
SAME_SIGNAL_CORR = 0.98
#: a channel this far below the other overall carries nothing of its own
SILENT_CHANNEL_DB = 40.0


@dataclass
class StereoActivity:
    #: (2, frames) bool: the channel's own speech
    active: np.ndarray
    #: (2, frames) dB excess over the bleed line (negative = explained by bleed)
    excess: np.ndarray
    #: estimated bleed gains (dB) other->channel, for logging/tests
    leak_db: tuple[float, float]


def frame_db(x: np.ndarray) -> np.ndarray:
    """Frame energies in dB (10 ms hop, 25 ms window)."""
    hop = SAMPLE_RATE // FRAME_RATE
    n = max(len(x) // hop, 1)
    padded = np.pad(np.asarray(x, dtype=np.float64), (0, n * hop + WIN - len(x)))
    # energy via cumulative sums: window of WIN samples starting at each hop
    c = np.concatenate([[0.0], np.cumsum(padded**2)])
    starts = np.arange(n) * hop
    energy = (c[starts + WIN] - c[starts]) / WIN
    return 10 * np.log10(energy + 1e-12)


def channels_identical(samples: np.ndarray) -> bool:
    """True when both channels carry (nearly) the same signal."""
    a, b = (np.asarray(samples[i, : SAMPLE_RATE * 120], dtype=np.float64) for i in range(2))
    if a.std() < 1e-7 and b.std() < 1e-7:
        return True
    if a.std() < 1e-7 or b.std() < 1e-7:
        return False
    return float(np.corrcoef(a, b)[0, 1]) >= SAME_SIGNAL_CORR


def _mean_square(x: np.ndarray, block: int = 1 << 20) -> float:
    """Mean of x**2, block by block (no float64 copy of a long recording)."""
    if x.size == 0:
        return 0.0
    total = 0.0
    for i in range(0, x.size, block):
        part = np.asarray(x[i : i + block], dtype=np.float64)
        total += float(np.dot(part, part))
    return total / x.size


def silent_channel(samples: np.ndarray) -> int | None:
    """Index of a channel that is silent next to the other (nothing of its own)."""
    levels = [10 * np.log10(_mean_square(samples[i]) + 1e-12) for i in range(2)]
    if abs(levels[0] - levels[1]) >= SILENT_CHANNEL_DB:
        return int(np.argmin(levels))
    if min(levels) < -80:
        return int(np.argmin(levels))
    return None


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def smooth_activity(mask: np.ndarray) -> np.ndarray:
    """Drop blips, bridge short gaps, then drop what is still too short."""
    out = mask.copy()
    bridge, blip = int(BRIDGE_S * FRAME_RATE), int(MIN_ACTIVE_S * FRAME_RATE)
    for s, e in _runs(out):
        if e - s < blip:
            out[s:e] = False
    runs = _runs(out)
    for (s1, e1), (s2, _) in zip(runs, runs[1:]):
        if s2 - e1 <= bridge:
            out[e1:s2] = True
    for s, e in _runs(out):
        if e - s < blip:
            out[s:e] = False
    return out


def _carries_copy(c: np.ndarray, o: np.ndarray, frames: np.ndarray) -> bool:
    """Does channel ``c`` hold a (delayed, scaled) copy of ``o`` in ``frames``? Bleed is
    the same waveform, so the cross-correlation peaks within +-MAX_LAG_S; two people
    talking at once are uncorrelated. Frame-level levels cannot tell these apart (a
    quieter overlapping voice also sits a steady few dB below), waveforms can."""
    from scipy.signal import correlate

    hop = SAMPLE_RATE // FRAME_RATE
    idx = np.flatnonzero(frames)[: int(COPY_CHECK_S * FRAME_RATE)]
    take = (idx[:, None] * hop + np.arange(hop)[None, :]).reshape(-1)
    take = take[take < min(len(c), len(o))]
    x = np.asarray(c, dtype=np.float64)[take]
    y = np.asarray(o, dtype=np.float64)[take]
    x, y = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((x**2).sum() * (y**2).sum()))
    if denom < 1e-12:
        return False
    lag = int(MAX_LAG_S * SAMPLE_RATE)
    xc = correlate(x, y, mode="full", method="fft")
    mid = len(y) - 1
    peak = float(np.max(np.abs(xc[mid - lag : mid + lag + 1]))) / denom
    return peak >= COPY_CORR_MIN


def _threshold(db: np.ndarray) -> float:
    floor, loud = np.percentile(db, 3), np.percentile(db, 97)
    return float(max(floor + FLOOR_MARGIN_DB, loud - DYNAMIC_RANGE_DB))


def channel_activity(samples: np.ndarray) -> StereoActivity:
    db = np.stack([frame_db(samples[0]), frame_db(samples[1])])
    thr = [_threshold(db[0]), _threshold(db[1])]
    leak = []
    for c in range(2):
        o = 1 - c
        # frames where the other channel speaks and is the louder one: c's level there is
        # bleed, or c's own speech overlapping. Bleed is the floor of that difference,
        # so take a low percentile (overlap only pushes the difference up).
        sel = (db[o] > thr[o]) & (db[o] > db[c])
        if sel.sum() >= 10 and _carries_copy(samples[c], samples[o], sel):
            leak.append(min(float(np.percentile(db[c][sel] - db[o][sel], LEAK_PERCENTILE)), MAX_LEAK_DB))
        else:  # no copy of the other party in this channel: whatever it holds is its own
            leak.append(NO_LEAK_DB)
    excess = np.stack([db[c] - (db[1 - c] + leak[c] + LEAK_MARGIN_DB) for c in range(2)])
    active = np.stack([smooth_activity((db[c] > thr[c]) & (excess[c] > 0)) for c in range(2)])
    log.debug("stereo bleed estimate: ch0<-ch1 %.1f dB, ch1<-ch0 %.1f dB", leak[0], leak[1])
    return StereoActivity(active=active, excess=excess, leak_db=(leak[0], leak[1]))


def assign_words(words: list[Word], act: StereoActivity) -> list[int]:
    """Channel index per word.

    A word goes to the channel that is active (own speech) over most of it while the
    other is not. Where both are active (overlapping talk) or neither is, the word is
    ambiguous: the mix was transcribed, and energy cannot say whose words these are,
    so it stays with the speaker of the nearest unambiguous word (the party who holds
    the floor). Bleed never makes a channel active, so it never flips a word.
    """
    n_frames = act.active.shape[1]
    choice: list[int | None] = []
    for w in words:
        a = min(max(int(w.start * FRAME_RATE), 0), n_frames - 1)
        b = min(max(int(np.ceil(w.end * FRAME_RATE)), a + 1), n_frames)
        own = act.active[:, a:b].mean(axis=1)
        if own[0] - own[1] >= WORD_OWN_MARGIN:
            choice.append(0)
        elif own[1] - own[0] >= WORD_OWN_MARGIN:
            choice.append(1)
        else:
            choice.append(None)
    decided = [i for i, c in enumerate(choice) if c is not None]
    if not decided:  # everything overlapped: the louder channel over all words
        ex = [sum(float(act.excess[c, int(w.start * FRAME_RATE) : int(np.ceil(w.end * FRAME_RATE))].sum()) for w in words) for c in range(2)]
        return [int(np.argmax(ex))] * len(words)
    mids = np.array([(words[i].start + words[i].end) / 2 for i in decided])
    out: list[int] = []
    for i, c in enumerate(choice):
        if c is None:
            mid = (words[i].start + words[i].end) / 2
            c = choice[decided[int(np.argmin(np.abs(mids - mid)))]]
        out.append(int(c))  # type: ignore[arg-type]
    return out


def channel_turns(act: StereoActivity) -> list[tuple[float, float, int]]:
    """(start, end, channel) per active run, sorted by start."""
    turns = [(s / FRAME_RATE, e / FRAME_RATE, c) for c in range(2) for s, e in _runs(act.active[c])]
    return sorted(turns)
