"""Emotional-shift detection on MELD (dyadic dev split): the detector before and after the
embedding sentiment, against two trivial baselines, plus per-utterance sentiment agreement.

Each dialogue (rows sharing Dialogue_ID, ordered by Utterance_ID) is written as a ``.txt``
transcript (``Speaker: text``), parsed with ``speech.transcripts.parse_transcript`` and
analysed with ``speech.analysis.analyze_conversation``. Gold shift (data README): an
utterance whose gold sentiment label differs from the same speaker's previous
utterance's label; only utterances with a previous same-speaker utterance are scored.

* after (default): sentiment = mean(VADER, MiniLM + logistic head), ``label`` detector
  (speaker's polarity label changes, |change| > margin)
* before: VADER sentiment, ``zscore`` detector (EWMA baseline, alpha 0.5), the first version
* baseline A: flag every change of VADER's label (compound >= 0.05 positive, <= -0.05
  negative, else neutral) between a speaker's consecutive utterances
* baseline B: flag every same-speaker turn

No MELD data is used for training (the sentiment head is trained on the project's own
sentences). The one free parameter of each detector (``margin`` / ``threshold``) is
chosen on the even Dialogue_IDs (tuning half) by F1 and all figures are reported on the
odd ones (held-out half). Direction-aware scoring counts a flag as correct only when it is
a gold shift and its direction matches the gold change (negative < neutral < positive).

    .venv/bin/python benchmarks/shifts.py          # prints Markdown, writes JSON
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from speech.analysis import analyze_conversation  # noqa: E402
from speech.sentiment import NEUTRAL_BAND, VADER_ONLY, polarity_label, vader_score  # noqa: E402
from speech.shifts import ShiftConfig, detect_shifts  # noqa: E402
from speech.transcripts import parse_transcript  # noqa: E402
from speech.types import CallAnalysis  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "dialogues" / "meld" / "dev_sent_emo_dya.csv"
DEFAULT_OUT = REPO / "benchmarks" / "results" / "shifts.json"
ORDER = {"negative": -1, "neutral": 0, "positive": 1}
THRESHOLDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)  # zscore detector (before)
MARGINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)  # label detector (after)
ALPHA = 0.5  # zscore detector (before), fixed as in its first measurement
VADER_BAND = 0.05  # baseline A: VADER's own thresholds
CLASSES = ("negative", "neutral", "positive")


@dataclass
class Dialogue:
    id: int
    rows: list[tuple[str, str, str]]  # (speaker, text, gold sentiment)


def load_dialogues(path: Path) -> list[Dialogue]:
    by_id: dict[int, list[tuple[int, str, str, str]]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            text = " ".join(r["Utterance"].split())
            by_id.setdefault(int(r["Dialogue_ID"]), []).append(
                (int(r["Utterance_ID"]), r["Speaker"].strip(), text, r["Sentiment"].strip())
            )
    return [
        Dialogue(did, [(s, t, g) for _, s, t, g in sorted(rows)])
        for did, rows in sorted(by_id.items())
    ]


def analyse(d: Dialogue, workdir: Path, cfg: ShiftConfig | None = None, sentiment_model: str | None = None) -> CallAnalysis:
    """The production path: write a .txt transcript, parse it, analyse it."""
    path = workdir / f"meld_{d.id}.txt"
    path.write_text("".join(f"{s}: {t}\n" for s, t, _ in d.rows), encoding="utf-8")
    parsed = parse_transcript(path)
    if len(parsed.utterances) != len(d.rows):
        raise ValueError(f"dialogue {d.id}: {len(parsed.utterances)} utterances parsed from {len(d.rows)} rows")
    return analyze_conversation(parsed.utterances, language="en", timed=parsed.timed, shift_config=cfg,
                                sentiment_model=sentiment_model)


def gold_items(d: Dialogue) -> list[tuple[int, bool, int]]:
    """(row index, gold shift?, gold direction -1/0/+1) for rows with a previous
    same-speaker row."""
    last: dict[str, str] = {}
    out = []
    for i, (spk, _, gold) in enumerate(d.rows):
        if spk in last:
            out.append((i, gold != last[spk], ORDER[gold] - ORDER[last[spk]]))
        last[spk] = gold
    return out


def vader_sign_flags(a: CallAnalysis) -> dict[int, int]:
    """Baseline A: row index -> direction (+1/-1) where VADER's label changes.
    ``a`` must be a VADER-only analysis."""
    last: dict[str, float] = {}
    flags = {}
    for i, u in enumerate(a.utterances):
        assert u.sentiment is not None
        if u.speaker in last:
            prev = ORDER[polarity_label(last[u.speaker], VADER_BAND)]
            cur = ORDER[polarity_label(u.sentiment, VADER_BAND)]
            if prev != cur:
                flags[i] = 1 if cur > prev else -1
        last[u.speaker] = u.sentiment
    return flags


def detector_flags(a: CallAnalysis, shifts=None) -> dict[int, int]:
    index = {u.id: i for i, u in enumerate(a.utterances)}
    return {index[s.utterance_id]: (1 if s.direction == "positive" else -1) for s in (shifts or a.emotion_shifts)}


def all_turn_flags(a: CallAnalysis) -> dict[int, int]:
    """Baseline B, with the direction of VADER's score change (ties -> negative)."""
    last: dict[str, float] = {}
    flags = {}
    for i, u in enumerate(a.utterances):
        if u.speaker in last:
            flags[i] = 1 if (u.sentiment or 0) > last[u.speaker] else -1
        last[u.speaker] = u.sentiment or 0.0
    return flags


def counts(golds: list[list[tuple[int, bool, int]]], flags: list[dict[int, int]], directed: bool) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for gold, fl in zip(golds, flags):
        for i, is_shift, gdir in gold:
            pred = i in fl
            hit = is_shift and (not directed or (gdir > 0) == (fl.get(i, 0) > 0))
            if pred and hit:
                tp += 1
            elif pred:
                fp += 1
            if is_shift and not (pred and hit):
                fn += 1
    return tp, fp, fn


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "tp": tp, "fp": fp, "fn": fn}


def bootstrap_f1_gain(golds, flags_a, flags_b, n: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95 % interval of F1(a) - F1(b), resampling dialogues."""
    rng = random.Random(seed)
    k = len(golds)
    diffs = []
    for _ in range(n):
        idx = [rng.randrange(k) for _ in range(k)]
        g = [golds[i] for i in idx]
        fa = prf(*counts(g, [flags_a[i] for i in idx], False))["f1"]
        fb = prf(*counts(g, [flags_b[i] for i in idx], False))["f1"]
        diffs.append(fa - fb)
    diffs.sort()
    return round(diffs[int(0.025 * n)], 3), round(diffs[int(0.975 * n)], 3)


def configs(kind: str) -> list[ShiftConfig]:
    if kind == "after":
        return [ShiftConfig(mode="label", margin=m) for m in MARGINS]
    return [ShiftConfig(mode="zscore", alpha=ALPHA, threshold=t) for t in THRESHOLDS]


def param(cfg: ShiftConfig) -> float:
    return cfg.margin if cfg.mode == "label" else cfg.threshold


def operating_points(analyses: list[CallAnalysis], golds, kind: str) -> list[dict]:
    grid = []
    for cfg in configs(kind):
        fl = [detector_flags(a, detect_shifts(a.utterances, cfg)) for a in analyses]
        flagged = sum(len(f) for f in fl)
        grid.append({"mode": cfg.mode, "param": param(cfg), "flagged": flagged, **prf(*counts(golds, fl, False))})
    return grid


def tune(analyses: list[CallAnalysis], golds, kind: str) -> tuple[ShiftConfig, list[dict]]:
    grid = operating_points(analyses, golds, kind)
    best = max(range(len(grid)), key=lambda k: (grid[k]["f1"], grid[k]["precision"]))
    return configs(kind)[best], grid


def agreement(golds: list[str], scores: list[float], band: float) -> dict[str, float]:
    """3-class agreement of polarity labels with MELD's sentiment labels."""
    pred = [polarity_label(s, band) for s in scores]
    acc = sum(p == g for p, g in zip(pred, golds)) / len(golds)
    f1s = []
    for c in CLASSES:
        tp = sum(p == c and g == c for p, g in zip(pred, golds))
        fp = sum(p == c and g != c for p, g in zip(pred, golds))
        fn = sum(p != c and g == c for p, g in zip(pred, golds))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return {"accuracy": round(acc, 3), "macro_f1": round(sum(f1s) / 3, 3), "band": band}


def sentiment_agreement(dialogues: list[Dialogue], after: list[CallAnalysis]) -> dict[str, dict]:
    golds = [g for d in dialogues for _, _, g in d.rows]
    ens = [u.sentiment for a in after for u in a.utterances]
    vad = [vader_score(t) for d in dialogues for _, t, _ in d.rows]
    emb = [2 * e - v for e, v in zip(ens, vad)]  # the ensemble is the mean of the two
    return {
        "VADER (band 0.05)": agreement(golds, vad, VADER_BAND),
        f"VADER (band {NEUTRAL_BAND})": agreement(golds, vad, NEUTRAL_BAND),
        f"MiniLM + logistic head (band {NEUTRAL_BAND})": agreement(golds, emb, NEUTRAL_BAND),
        f"mean of both, the default (band {NEUTRAL_BAND})": agreement(golds, ens, NEUTRAL_BAND),
    }


def analyse_all(dialogues: list[Dialogue], work: Path, model: str | None) -> tuple[list[CallAnalysis], float]:
    t0 = time.perf_counter()
    out = [analyse(d, work, sentiment_model=model) for d in dialogues]
    return out, time.perf_counter() - t0


def run(data: Path) -> dict:
    dialogues = load_dialogues(data)
    tune_half = [d for d in dialogues if d.id % 2 == 0]
    test_half = [d for d in dialogues if d.id % 2 == 1]
    n_utts = sum(len(d.rows) for d in dialogues)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        analyse(dialogues[0], work)  # load the embedding model outside the timings
        an_v, sec_v = analyse_all(dialogues, work, VADER_ONLY)
        an_e, sec_e = analyse_all(dialogues, work, None)
    half = {id(d): d.id % 2 for d in dialogues}
    tune_v = [a for d, a in zip(dialogues, an_v) if half[id(d)] == 0]
    test_v = [a for d, a in zip(dialogues, an_v) if half[id(d)] == 1]
    tune_e = [a for d, a in zip(dialogues, an_e) if half[id(d)] == 0]
    test_e = [a for d, a in zip(dialogues, an_e) if half[id(d)] == 1]
    gold_tune = [gold_items(d) for d in tune_half]
    golds = [gold_items(d) for d in test_half]
    cfg_before, grid_before = tune(tune_v, gold_tune, "before")
    cfg_after, grid_after = tune(tune_e, gold_tune, "after")
    systems = {
        f"after: mean(VADER, MiniLM head) + label detector (margin {cfg_after.margin})":
            [detector_flags(a, detect_shifts(a.utterances, cfg_after)) for a in test_e],
        f"before: VADER + z-score detector (threshold {cfg_before.threshold})":
            [detector_flags(a, detect_shifts(a.utterances, cfg_before)) for a in test_v],
        "baseline: VADER label change (±0.05)": [vader_sign_flags(a) for a in test_v],
        "baseline: flag every same-speaker turn": [all_turn_flags(a) for a in test_v],
    }
    names = list(systems)
    table = {name: prf(*counts(golds, fl, False)) for name, fl in systems.items()}
    directed = {name: prf(*counts(golds, fl, True)) for name, fl in systems.items()}
    n_items = sum(len(g) for g in golds)
    return {
        "data": str(data.relative_to(REPO.parent)) if data.is_relative_to(REPO.parent) else str(data),
        "split": "margin/threshold tuned on even Dialogue_IDs by F1, figures on odd Dialogue_IDs",
        "dialogues": {"tune": len(tune_half), "test": len(test_half)},
        "scored_turns_test": n_items,
        "gold_shift_rate_test": round(sum(s for g in golds for _, s, _ in g) / n_items, 3),
        "tuned": {"after": {"mode": "label", "margin": cfg_after.margin, "band": NEUTRAL_BAND},
                  "before": {"mode": "zscore", "alpha": ALPHA, "threshold": cfg_before.threshold}},
        "tuning_grid": {"after": grid_after, "before": grid_before},
        "heldout_operating_points": {"after": operating_points(test_e, golds, "after"),
                                     "before": operating_points(test_v, golds, "before")},
        "results": table,
        "results_direction_aware": directed,
        "f1_gain_95ci": {
            "after vs VADER label change": bootstrap_f1_gain(golds, systems[names[0]], systems[names[2]]),
            "after vs flag every turn": bootstrap_f1_gain(golds, systems[names[0]], systems[names[3]]),
            "after vs before": bootstrap_f1_gain(golds, systems[names[0]], systems[names[1]]),
        },
        "sentiment_agreement_all_dev": sentiment_agreement(dialogues, an_e),
        "seconds": {"vader_only": round(sec_v, 2), "default": round(sec_e, 2)},
        "utterances": n_utts,
        "utterances_per_s": {"vader_only": round(n_utts / sec_v, 1), "default": round(n_utts / sec_e, 1)},
    }


def markdown(res: dict) -> str:
    t = res["tuned"]
    lines = [
        f"MELD dyadic dev, {res['dialogues']['test']} held-out dialogues, {res['scored_turns_test']} scored "
        f"same-speaker turns (gold shift rate {res['gold_shift_rate_test']}); tuned on "
        f"{res['dialogues']['tune']} others: after margin={t['after']['margin']}, "
        f"before threshold={t['before']['threshold']}",
        "",
    ]
    for title, key in (("Shift detection", "results"), ("Direction-aware", "results_direction_aware")):
        lines += [f"**{title}**", "", "| system | precision | recall | F1 |", "| --- | --- | --- | --- |"]
        for name, m in res[key].items():
            lines.append(f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |")
        lines.append("")
    for kind, label in (("after", "margin"), ("before", "threshold")):
        lines += [f"**{kind} detector at other {label}s (held-out half)**", "",
                  f"| {label} | flagged | precision | recall | F1 |", "| --- | --- | --- | --- | --- |"]
        for g in res["heldout_operating_points"][kind]:
            lines.append(f"| {g['param']} | {g['flagged']} | {g['precision']:.3f} | {g['recall']:.3f} | {g['f1']:.3f} |")
        lines.append("")
    lines += ["**Per-utterance agreement with MELD sentiment labels (all 1,462 dev utterances)**", "",
              "| scorer | accuracy | macro-F1 |", "| --- | --- | --- |"]
    for name, m in res["sentiment_agreement_all_dev"].items():
        lines.append(f"| {name} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} |")
    lines.append("")
    for name, (lo, hi) in res["f1_gain_95ci"].items():
        lines.append(f"F1 gain {name}, 95% bootstrap interval over dialogues: [{lo:+.3f}, {hi:+.3f}]")
    ups = res["utterances_per_s"]
    lines.append(f"Throughput (parse + full text analysis): default {ups['default']} utterances/s, "
                 f"VADER only {ups['vader_only']} utterances/s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.data.exists():
        print(f"MELD data not found at {args.data}", file=sys.stderr)
        return 2
    res = run(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2), encoding="utf-8")
    print(markdown(res))
    print(f"\nwritten {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
