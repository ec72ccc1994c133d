"""Mono diarization: who spoke each ASR word, from voice embeddings alone.

1. One Resemblyzer d-vector per word, from a 1.2 s window centred on the word (mel
   computed once for the recording, windows batched; in the pipeline most of them are
   computed during transcription, see ``speech.diarize_early``). A short word isolated by pauses
   on both sides (a backchannel: "ok", "mm-hm") is embedded from its own audio only,
   tiled to the window length, so that the neighbouring speaker's voice does not leak
   into its window.
2. Spectral clustering of the word embeddings (Google's ``spectralcluster``, the
   refinement + auto-tuned p-percentile + eigengap recipe of "Turn-to-Diarize"), which
   also estimates the number of speakers (1..max_speakers) unless it is given.
3. A second, independent check that several speakers really are there: the clusters
   must also differ in their MFCC statistics (Gaussian BIC gain of the partition) at
   least ``BIC_GAIN_MIN`` times as much as random partitions of the same sizes do.
   One voice that Resemblyzer splits by phonetic content or emotion fails it.
4. Clusters with under ``MIN_CLUSTER_S`` of speech are folded into the nearest one.
5. Re-segmentation: Viterbi over the word sequence, emission = cosine similarity to the
   speaker centroids, with a switch penalty that is high between words with no pause
   between them and low across a pause, so a flickering label inside a phrase is
   smoothed away while a backchannel after a pause keeps its own speaker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from speech.errors import DependencyMissingError
from speech.types import Word

if TYPE_CHECKING:
    from speech.diarize_early import EarlyFeatures
from speech.voiceprint import FRAME_RATE, WINDOW_FRAMES, embed_windows, mel_frames, unit_rows, voice_encoder

log = logging.getLogger(__name__)

#: a gap between words at least this long is a pause (seconds)
PAUSE_S = 0.3
#: an isolated segment shorter than this is embedded from its own audio only
SHORT_SEGMENT_S = 0.8
#: fewer words than this (or less speech) cannot be clustered: one speaker
MIN_WORDS = 6
MIN_SPEECH_S = 2.0
#: clusters holding less speech than this are folded into their nearest neighbour
MIN_CLUSTER_S = 1.0
#: the MFCC partition gain must beat random partitions by this factor
BIC_GAIN_MIN = 2.0
#: Viterbi switch penalties (cosine units) within a phrase / across a pause
SWITCH_PENALTY_TIGHT = 0.3
SWITCH_PENALTY_PAUSE = 0.05
#: spectral clustering runs on at most this many embeddings (pre-clustered beyond)
MAX_SPECTRAL_SIZE = 600


@dataclass
class MonoClusters:
    #: cluster index per word, 0..k-1 (not yet in order of appearance)
    labels: np.ndarray
    #: unit-norm centroid per cluster index
    centroids: np.ndarray
    warnings: list[str] = field(default_factory=list)


def pause_segments(words: list[Word], pause_s: float = PAUSE_S) -> list[list[int]]:
    """Indices of words grouped into runs separated by pauses of at least ``pause_s``."""
    segs: list[list[int]] = []
    for i, w in enumerate(words):
        if segs and w.start - words[segs[-1][-1]].end < pause_s:
            segs[-1].append(i)
        else:
            segs.append([i])
    return segs


def short_segments(words: list[Word]) -> list[list[int]]:
    """Pause segments shorter than ``SHORT_SEGMENT_S`` (embedded from their own audio)."""
    return [s for s in pause_segments(words) if words[s[-1]].end - words[s[0]].start < SHORT_SEGMENT_S]


def word_embeddings(mono: np.ndarray, words: list[Word], early: EarlyFeatures | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings per word, mel spectrogram). ``early`` holds the mel and the windows
    already embedded during transcription (``speech.diarize_early``); the rest is
    computed here, with the same result."""
    mel = early.mel if early is not None and early.mel is not None else mel_frames(mono)
    centers = np.array([(w.start + w.end) / 2 for w in words])
    emb = embed_windows(mel, centers, cache=early.windows if early is not None else None)
    short = short_segments(words)
    if short and len(words) > len(short):
        spans = [(words[s[0]].start, words[s[-1]].end) for s in short]
        emb_short = embed_tiled(mel, spans, cache=early.tiled if early is not None else None)
        for seg, e in zip(short, emb_short):
            emb[seg] = e
    return emb, mel


def tiled_key(n_frames: int, a: float, b: float) -> tuple[int, int]:
    """Mel frame range [lo, hi) of the span ``a``..``b`` seconds."""
    lo = max(int(a * FRAME_RATE), 0)
    return lo, min(max(int(np.ceil(b * FRAME_RATE)), lo + 1), n_frames)


def embed_tiled(
    mel: np.ndarray, spans: list[tuple[float, float]], cache: dict[tuple[int, int], np.ndarray] | None = None
) -> np.ndarray:
    """Unit-norm embeddings of each span's own frames tiled to one window; ``cache``
    maps a frame range to the encoder's raw output (as in ``embed_windows``)."""
    import torch

    cache = {} if cache is None else cache
    keys = [tiled_key(len(mel), a, b) for a, b in spans]
    todo = [k for k in dict.fromkeys(keys) if k not in cache]
    if todo:
        windows = []
        for lo, hi in todo:
            part = mel[lo:hi] if hi > lo else mel[max(hi - 1, 0) : hi]
            if len(part) == 0:
                part = np.zeros((1, mel.shape[1]), dtype=np.float32)
            reps = int(np.ceil(WINDOW_FRAMES / len(part)))
            windows.append(np.tile(part, (reps, 1))[:WINDOW_FRAMES])
        with torch.inference_mode():
            raw = voice_encoder()(torch.from_numpy(np.stack(windows))).cpu().numpy()
        cache.update(zip(todo, raw))
    return unit_rows(np.stack([cache[k] for k in keys]))


def _spectral(emb: np.ndarray, num_speakers: int | None, max_speakers: int) -> np.ndarray:
    try:
        from spectralcluster import AutoTune, LaplacianType, SpectralClusterer, configs
        from spectralcluster.fallback_clusterer import FallbackOptions, SingleClusterCondition
    except ImportError as exc:  # pragma: no cover - install problem
        raise DependencyMissingError("spectralcluster", "mono speaker clustering") from exc
    lo, hi = (num_speakers, num_speakers) if num_speakers else (1, max_speakers)
    hi = min(hi, len(emb) - 1)
    lo = min(lo, hi)
    clusterer = SpectralClusterer(
        min_clusters=lo,
        max_clusters=hi,
        refinement_options=configs.turntodiarize_refinement_options,
        autotune=AutoTune(p_percentile_min=0.6, p_percentile_max=0.95, init_search_step=0.05, search_level=1),
        fallback_options=FallbackOptions(single_cluster_condition=SingleClusterCondition.AffinityGmmBic),
        laplacian_type=LaplacianType.GraphCut,
        row_wise_renorm=True,
        max_spectral_size=MAX_SPECTRAL_SIZE,
    )
    return np.asarray(clusterer.predict(emb), dtype=int)


def _mfcc(mel: np.ndarray) -> np.ndarray:
    from scipy.fft import dct

    return dct(np.log10(mel + 1e-10), type=2, norm="ortho", axis=1)[:, 1:13]


def _bic_gain(frames: list[np.ndarray], labels: np.ndarray) -> float:
    """Per-frame log-likelihood gain (full-covariance Gaussians) of splitting the
    frames of all words by ``labels`` over one Gaussian for everything."""

    def logdet(x: np.ndarray) -> float:
        cov = np.cov(x.T) + 1e-3 * np.eye(x.shape[1])
        return float(np.linalg.slogdet(cov)[1])

    groups = [np.concatenate([f for f, lab in zip(frames, labels) if lab == k]) for k in np.unique(labels)]
    whole = np.concatenate(groups)
    gain = len(whole) * logdet(whole) - sum(len(g) * logdet(g) for g in groups if len(g) > 1)
    return 0.5 * gain / len(whole)


def clusters_differ_acoustically(mel: np.ndarray, words: list[Word], labels: np.ndarray, seed: int = 0) -> float:
    """Ratio of the MFCC BIC gain of ``labels`` to the mean gain of 8 random
    permutations of them (1.0 = no better than chance)."""
    mfcc = _mfcc(mel)
    frames = [mfcc[int(w.start * FRAME_RATE) : max(int(w.end * FRAME_RATE), int(w.start * FRAME_RATE) + 1) + 1] for w in words]
    keep = [i for i, f in enumerate(frames) if len(f)]
    frames = [frames[i] for i in keep]
    lab = labels[keep]
    if len(np.unique(lab)) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    real = _bic_gain(frames, lab)
    chance = np.mean([_bic_gain(frames, rng.permutation(lab)) for _ in range(8)])
    return float(real / chance) if chance > 0 else float("inf")


def _centroids(emb: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return unit_rows(np.stack([emb[labels == j].mean(axis=0) if np.any(labels == j) else np.zeros(emb.shape[1]) for j in range(k)]))


def _fold_small(emb: np.ndarray, labels: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Merge clusters with under MIN_CLUSTER_S of speech into their nearest cluster."""
    labels = labels.copy()
    while True:
        ids = np.unique(labels)
        if len(ids) < 2:
            break
        speech = np.array([durations[labels == j].sum() for j in ids])
        small = int(np.argmin(speech))
        if speech[small] >= MIN_CLUSTER_S:
            break
        cents = _centroids(emb, np.searchsorted(ids, labels), len(ids))
        sims = cents @ cents[small]
        sims[small] = -np.inf
        labels[labels == ids[small]] = ids[int(np.argmax(sims))]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def viterbi_smooth(emb: np.ndarray, centroids: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Best label path; ``gaps[i]`` is the pause before word i (gaps[0] unused)."""
    scores = emb @ centroids.T
    n, k = scores.shape
    if k == 1:
        return np.zeros(n, dtype=int)
    back = np.zeros((n, k), dtype=int)
    dp = scores[0].copy()
    off = 1.0 - np.eye(k)
    for i in range(1, n):
        pen = SWITCH_PENALTY_PAUSE if gaps[i] >= PAUSE_S else SWITCH_PENALTY_TIGHT
        trans = dp[None, :] - pen * off  # [to, from]
        back[i] = trans.argmax(axis=1)
        dp = trans.max(axis=1) + scores[i]
    path = np.empty(n, dtype=int)
    path[-1] = int(dp.argmax())
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def cluster_words(
    mono: np.ndarray,
    words: list[Word],
    *,
    num_speakers: int | None = None,
    max_speakers: int = 6,
    early: EarlyFeatures | None = None,
) -> MonoClusters:
    """Cluster index per word (see the module docstring for the method); ``early``:
    features computed during transcription (``speech.diarize_early``)."""
    warnings: list[str] = []
    n = len(words)
    durations = np.array([max(w.end - w.start, 0.0) for w in words])
    if n == 0:
        return MonoClusters(np.zeros(0, dtype=int), np.zeros((0, 256), dtype=np.float32))
    emb, mel = word_embeddings(mono, words, early) if early is not None else word_embeddings(mono, words)
    if num_speakers == 1 or n < MIN_WORDS or durations.sum() < MIN_SPEECH_S:
        if num_speakers and num_speakers > 1:
            warnings.append(f"too little speech to separate {num_speakers} speakers: one speaker assumed")
        labels = np.zeros(n, dtype=int)
        return MonoClusters(labels, _centroids(emb, labels, 1), warnings)

    labels = _spectral(emb, num_speakers, max_speakers)
    if num_speakers is None and len(np.unique(labels)) > 1:
        ratio = clusters_differ_acoustically(mel, words, labels)
        log.debug("spectral found %d clusters, MFCC BIC gain ratio %.2f", len(np.unique(labels)), ratio)
        if ratio < BIC_GAIN_MIN:
            labels = np.zeros(n, dtype=int)
    if num_speakers is None:
        labels = _fold_small(emb, labels, durations)
    k = int(labels.max()) + 1
    cents = _centroids(emb, labels, k)
    gaps = np.r_[np.inf, [words[i].start - words[i - 1].end for i in range(1, n)]]
    smoothed = viterbi_smooth(emb, cents, gaps)
    if num_speakers is None:
        smoothed = _fold_small(emb, smoothed, durations)
    elif len(np.unique(smoothed)) < len(np.unique(labels)):
        smoothed = labels  # keep the requested count
    _, smoothed = np.unique(smoothed, return_inverse=True)
    k = int(smoothed.max()) + 1
    if num_speakers and k < num_speakers:
        warnings.append(f"{num_speakers} speakers were requested but only {k} could be told apart")
    return MonoClusters(smoothed, _centroids(emb, smoothed, k), warnings)
