"""Emotional-shift detection on MELD dev (chose nothing), against trivial baselines and the
detector before issue 10; shifts per 10 minutes on real and demo calls; the sentiment
stage's share of analyze time.

Splits: the sentiment head, its band and the detector's ``alpha`` / ``min_strength`` were
chosen on MELD **train** (``benchmarks/train_sentiment.py``, grouped CV, out-of-fold);
every MELD figure here is on **dev**, which chose nothing.

Gold (data README): an utterance whose sentiment label differs from the same speaker's
previous utterance; only utterances with a previous same-speaker utterance are scored.
Each dialogue goes through the product path: written as a ``Speaker: text`` transcript,
parsed by ``speech.transcripts.parse_transcript``, analysed by
``speech.analysis.analyze_conversation`` (its ``emotion_shifts`` are the flags).

* shipped: e5 context head + strength detector (settings from train)
* before issue 10: mean(VADER, MiniLM head) + label-change detector, flags recorded at the
  commit in ``benchmarks/results/sentiment_before_issue10.json``
* VADER sign change: a change of VADER's label (±0.05) between a speaker's turns
* flag every same-speaker turn

Intervals: 95 % bootstrap over dialogues (1000 resamples).

Calls: the real recordings in ``../shared/data/audio`` (full audio pipeline) and the demo
transcripts in ``knowledge/demo/calls``: shifts (all, customer, shown by default) per 10
minutes, and ``timings["sentiment"]`` / total analyze time (warm: e5 already loaded).

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.shifts [--no-audio]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import SHARED_DATA, md_table, write_results  # noqa: E402
from benchmarks.meld import DEV_CSV, ORDER, Dialogue, gold_shift_items, load_dialogues  # noqa: E402
from speech.analysis import analyze_conversation  # noqa: E402
from speech.sentiment import polarity_label, vader_score  # noqa: E402
from speech.shift_summary import key_shifts, summarize  # noqa: E402
from speech.shifts import ShiftConfig  # noqa: E402
from speech.transcripts import parse_transcript  # noqa: E402
from speech.types import CallAnalysis  # noqa: E402

log = logging.getLogger("benchmarks.shifts")

BEFORE_FILE = REPO / "benchmarks" / "results" / "sentiment_before_issue10.json"
DEMO_CALLS = REPO / "knowledge" / "demo" / "calls"
REAL_AUDIO = ("audio/diarization/sample.wav", "audio/diarization/stereo_diarization.wav",
              "audio/wer/TEST_MEETING_T0000000001_S00000.wav")
VADER_BAND = 0.05
N_BOOT = 1000

Flags = dict[int, int]  # row index -> direction (+1 / -1)
Gold = list[tuple[int, bool, int]]


def analyse(d: Dialogue, work: Path) -> CallAnalysis:
    path = work / f"meld_{d.id}.txt"
    path.write_text("".join(f"{r.speaker}: {r.text}\n" for r in d.rows), encoding="utf-8")
    parsed = parse_transcript(path)
    if len(parsed.utterances) != len(d.rows):
        raise ValueError(f"dialogue {d.id}: {len(parsed.utterances)} utterances parsed from {len(d.rows)} rows")
    return analyze_conversation(parsed.utterances, language="en", timed=parsed.timed)


def shipped_flags(a: CallAnalysis) -> Flags:
    index = {u.id: i for i, u in enumerate(a.utterances)}
    return {index[s.utterance_id]: 1 if s.direction == "positive" else -1 for s in a.emotion_shifts}


def vader_flags(d: Dialogue) -> Flags:
    last: dict[str, int] = {}
    flags: Flags = {}
    for i, r in enumerate(d.rows):
        cur = ORDER[polarity_label(vader_score(r.text), VADER_BAND)]
        if r.speaker in last and cur != last[r.speaker]:
            flags[i] = 1 if cur > last[r.speaker] else -1
        last[r.speaker] = cur
    return flags


def every_turn_flags(d: Dialogue) -> Flags:
    seen: set[str] = set()
    flags: Flags = {}
    for i, r in enumerate(d.rows):
        if r.speaker in seen:
            flags[i] = 1
        seen.add(r.speaker)
    return flags


def counts(golds: list[Gold], flags: list[Flags], directed: bool = False) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for gold, fl in zip(golds, flags):
        for i, is_shift, gdir in gold:
            pred = i in fl
            hit = is_shift and (not directed or (gdir > 0) == (fl.get(i, 0) > 0))
            tp += pred and hit
            fp += pred and not hit
            fn += is_shift and not (pred and hit)
    return tp, fp, fn


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0}


def bootstrap(golds: list[Gold], systems: dict[str, list[Flags]], ref: str, n: int = N_BOOT, seed: int = 0) -> dict:
    """95 % intervals of each system's P/R/F1 and of ``ref``'s F1 and precision gain over each."""
    rng = random.Random(seed)
    k = len(golds)
    samples: dict[str, dict[str, list[float]]] = {s: {"precision": [], "recall": [], "f1": []} for s in systems}
    gains: dict[str, dict[str, list[float]]] = {s: {"f1": [], "precision": []} for s in systems if s != ref}
    for _ in range(n):
        idx = [rng.randrange(k) for _ in range(k)]
        g = [golds[i] for i in idx]
        res = {s: prf(*counts(g, [fl[i] for i in idx])) for s, fl in systems.items()}
        for s, m in res.items():
            for key in ("precision", "recall", "f1"):
                samples[s][key].append(m[key])
        for s in gains:
            for key in ("f1", "precision"):
                gains[s][key].append(res[ref][key] - res[s][key])

    def ci(v: list[float]) -> list[float]:
        v = sorted(v)
        return [round(v[int(0.025 * n)], 3), round(v[int(0.975 * n)], 3)]

    return {"systems": {s: {key: ci(v) for key, v in m.items()} for s, m in samples.items()},
            "gain_of_shipped_over": {s: {key: ci(v) for key, v in m.items()} for s, m in gains.items()}}


def meld(work: Path) -> dict:
    dialogues = load_dialogues(DEV_CSV)
    before = json.loads(BEFORE_FILE.read_text())["dialogues"] if BEFORE_FILE.exists() else None
    golds = [gold_shift_items(d) for d in dialogues]
    analyses = [analyse(d, work) for d in dialogues]
    systems: dict[str, list[Flags]] = {"shipped": [shipped_flags(a) for a in analyses]}
    if before is not None:
        systems["before issue 10"] = [{int(k): v for k, v in before[str(d.id)]["shifts"].items()} for d in dialogues]
    systems["VADER sign change (±0.05)"] = [vader_flags(d) for d in dialogues]
    systems["flag every same-speaker turn"] = [every_turn_flags(d) for d in dialogues]
    n_items = sum(len(g) for g in golds)
    return {
        "split": "MELD dev: measured only; head, band, alpha, min_strength chosen on MELD train (grouped CV)",
        "settings": ShiftConfig.shipped().__dict__,
        "dialogues": len(dialogues), "scored_turns": n_items,
        "gold_shift_rate": round(sum(s for g in golds for _, s, _ in g) / n_items, 3),
        "results": {s: {**prf(*counts(golds, fl)), "flagged": sum(len(f) for f in fl)} for s, fl in systems.items()},
        "results_direction_aware": {s: prf(*counts(golds, fl, directed=True)) for s, fl in systems.items()},
        "ci95": bootstrap(golds, systems, "shipped"),
    }


def call_row(name: str, a: CallAnalysis, duration_s: float) -> dict:
    summ = summarize(a.emotion_shifts, [u.id for u in a.utterances])
    per10 = 600.0 / duration_s if duration_s else 0.0
    total = a.timings.get("total") or sum(v for k, v in a.timings.items() if k not in ("text_analysis", "sentiment"))
    return {
        "call": name, "language": a.language, "minutes": round(duration_s / 60, 2), "utterances": len(a.utterances),
        "shifts": len(a.emotion_shifts), "customer_shifts": summ.customer,
        "shown_by_default": len(key_shifts(a.emotion_shifts)),
        "shifts_per_10min": round(len(a.emotion_shifts) * per10, 1),
        "customer_shifts_per_10min": round(summ.customer * per10, 1),
        "sentiment_s": a.timings.get("sentiment"), "analyze_s": round(total, 3),
        "sentiment_share": round(a.timings.get("sentiment", 0.0) / total, 3) if total else None,
    }


def calls(with_audio: bool) -> list[dict]:
    rows = []
    for path in sorted(DEMO_CALLS.glob("*.txt")):
        parsed = parse_transcript(path)
        t0 = time.perf_counter()
        a = analyze_conversation(parsed.utterances, language=None, timed=parsed.timed)
        a.timings["total"] = round(time.perf_counter() - t0, 3)
        dur = max((u.end for u in parsed.utterances), default=0.0)
        rows.append({**call_row(f"demo: {path.stem}", a, dur), "timed": parsed.timed})
    if with_audio:
        from coach.settings import Settings  # noqa: PLC0415 - benchmark composes like the product
        from speech.pipeline import CallAnalyzer  # noqa: PLC0415

        cache = Path.home() / ".cache" / "salescoach-models"
        analyzer = CallAnalyzer(Settings().speech, cache)
        for rel in REAL_AUDIO:
            path = SHARED_DATA / rel
            if path.exists():
                a = analyzer.analyze(path)
                rows.append({**call_row(f"audio: {path.name}", a, a.audio.duration_s if a.audio else 0.0),
                             "timed": True})
    return rows


def markdown(res: dict) -> str:
    m = res["meld"]
    ci = m["ci95"]["systems"]
    rows = [[s, v["precision"], v["recall"], v["f1"], v["flagged"],
             f"P {ci[s]['precision']} R {ci[s]['recall']} F1 {ci[s]['f1']}"] for s, v in m["results"].items()]
    lines = [f"**Shift detection, MELD dev: {m['dialogues']} dialogues, {m['scored_turns']} scored turns, "
             f"gold shift rate {m['gold_shift_rate']} (settings chosen on MELD train)**", "",
             md_table(["system", "precision", "recall", "F1", "flagged", "95% CI"], rows), ""]
    for s, g in m["ci95"]["gain_of_shipped_over"].items():
        lines.append(f"shipped minus {s}: F1 {g['f1']}, precision {g['precision']} (95% CI)")
    lines += ["", "**Calls**", "", md_table(
        ["call", "lang", "min", "utts", "shifts", "customer", "shown", "per 10 min", "sentiment share"],
        [[r["call"], r["language"], r["minutes"], r["utterances"], r["shifts"], r["customer_shifts"],
          r["shown_by_default"], r["shifts_per_10min"], r["sentiment_share"]] for r in res["calls"]])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-audio", action="store_true", help="skip the real recordings (Whisper)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        analyse(load_dialogues(DEV_CSV)[0], Path(tmp))  # load e5 outside the timings
        res = {"meld": meld(Path(tmp)), "calls": calls(not args.no_audio)}
    path = write_results("shifts", res)
    sys.stdout.write(markdown(res) + f"\n\nwritten {path.relative_to(REPO)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
