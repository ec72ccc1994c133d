"""Diarization error rate (DER), scored like NIST md-eval.

* A no-score collar of ``collar`` seconds is laid on both sides of every reference
  turn boundary (start and end) and removed from scoring.
* Overlapping reference speech is scored: a region where two reference speakers talk
  counts two seconds of reference speech per second.
* Reference and hypothesis speakers are mapped one-to-one to maximise their total
  overlap (Hungarian algorithm); unmapped hypothesis speakers are always confusion.

Per scored region with ``N_ref`` reference speakers, ``N_hyp`` hypothesis speakers
and ``N_correct`` mapped matches:
missed = max(0, N_ref - N_hyp), false alarm = max(0, N_hyp - N_ref),
confusion = min(N_ref, N_hyp) - N_correct; DER = (missed + FA + confusion) / sum(N_ref).

Time is discretised at 1 ms, which is the precision of RTTM files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

#: (start, end, speaker)
Segment = tuple[float, float, str]

_RES = 1000  # frames per second


@dataclass
class DERResult:
    der: float
    missed: float
    false_alarm: float
    confusion: float
    #: seconds of scored reference speech (overlap counted per speaker)
    total: float
    missed_s: float
    false_alarm_s: float
    confusion_s: float
    #: hypothesis speaker -> reference speaker
    mapping: dict[str, str]

    def as_dict(self) -> dict:
        return asdict(self)


def load_rttm(path: str | Path) -> list[Segment]:
    """Read ``SPEAKER file chan start dur ... name ...`` lines into segments."""
    segs: list[Segment] = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) < 8 or parts[0] != "SPEAKER":
            continue
        start, dur = float(parts[3]), float(parts[4])
        segs.append((start, start + dur, parts[7]))
    return segs


def write_rttm(segments: list[Segment], file_id: str) -> str:
    return "".join(
        f"SPEAKER {file_id} 1 {s:.3f} {e - s:.3f} <NA> <NA> {spk} <NA> <NA>\n" for s, e, spk in segments
    )


def _activity(segments: list[Segment], n: int) -> tuple[list[str], np.ndarray]:
    names = sorted({s[2] for s in segments})
    act = np.zeros((len(names), n), dtype=bool)
    for start, end, spk in segments:
        a, b = int(round(start * _RES)), int(round(end * _RES))
        act[names.index(spk), max(a, 0) : max(min(b, n), 0)] = True
    return names, act


def score(reference: list[Segment], hypothesis: list[Segment], collar: float = 0.25) -> DERResult:
    """DER of ``hypothesis`` against ``reference`` (see the module docstring)."""
    from scipy.optimize import linear_sum_assignment

    end = max([e for _, e, _ in reference + hypothesis], default=0.0)
    n = int(np.ceil(end * _RES)) + 1
    ref_names, ref = _activity(reference, n)
    hyp_names, hyp = _activity(hypothesis, n)

    scored = np.ones(n, dtype=bool)
    c = int(round(collar * _RES))
    if c > 0:
        for start, stop, _ in reference:
            for t in (start, stop):
                k = int(round(t * _RES))
                scored[max(k - c, 0) : min(k + c, n)] = False
    ref = ref[:, scored]
    hyp = hyp[:, scored]

    n_ref = ref.sum(axis=0)
    n_hyp = hyp.sum(axis=0)
    mapping: dict[str, str] = {}
    n_correct = np.zeros_like(n_ref)
    if len(ref_names) and len(hyp_names):
        overlap = hyp.astype(np.int64) @ ref.T.astype(np.int64)  # (hyp, ref) frames
        rows, cols = linear_sum_assignment(-overlap)
        for r, k in zip(rows, cols):
            if overlap[r, k] > 0:
                mapping[hyp_names[r]] = ref_names[k]
                n_correct = n_correct + (hyp[r] & ref[k])

    missed = np.maximum(n_ref - n_hyp, 0).sum() / _RES
    fa = np.maximum(n_hyp - n_ref, 0).sum() / _RES
    conf = (np.minimum(n_ref, n_hyp) - n_correct).sum() / _RES
    total = n_ref.sum() / _RES
    if total == 0:
        der = 0.0 if (fa + conf) == 0 else float("inf")
        return DERResult(der, 0.0, 0.0, 0.0, 0.0, missed, fa, conf, mapping)
    return DERResult(
        der=(missed + fa + conf) / total,
        missed=missed / total,
        false_alarm=fa / total,
        confusion=conf / total,
        total=total,
        missed_s=missed,
        false_alarm_s=fa,
        confusion_s=conf,
        mapping=mapping,
    )
