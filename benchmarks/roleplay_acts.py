"""Rep-act classification: the embedding classifier (coach/roleplay/act_model.py) next to
today's phrase patterns (benchmarks/roleplay_acts_baseline.py) in one run.

1. Our labelled sales rep turns (coach/roleplay/data/rep_turns.jsonl), **test split**:
   nothing was trained or chosen on it (the head was fitted on train, its settings chosen
   on dev, then refitted on train+dev). Per-act precision/recall/F1 over turns (a turn
   has a set of acts), macro-F1 with a bootstrap 95% interval, English and Chinese.
2. Real annotated dialogue, strategies mapped to our acts and questions collapsed to
   "question": PersuasionForGood persuader sentences of the dialogue half the training
   never saw, and CaSiNo (never trained on).

Note: today's patterns find need-linked value only through the persona's need keywords,
so on context-free turns they cannot find it; the classifier labels it from wording.

  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/roleplay_acts.py [--data ../shared/data]

Writes benchmarks/results/roleplay_acts.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import roleplay_acts_baseline as baseline  # noqa: E402
from coach.roleplay.act_model import HEAD_ACTS, classify_sentences, load_head  # noqa: E402
from coach.roleplay.act_training import QUESTION_ACTS, read_casino, read_p4g, read_turns  # noqa: E402
from coach.roleplay.acts import PATTERNS, extract_prices  # noqa: E402

EVAL_ACTS = tuple(a for a in HEAD_ACTS if a != "other")
COARSE = ("greeting", "question", "acknowledge", "evidence", "value_statement")


#: last row id of the first labelled batch; later Chinese rows were added to lift Chinese
#: (new rows got their split by the same hash rule)
FIRST_ZH_BATCH_LAST_ID = "rt0809"


def classifier_acts(text: str) -> set[str]:
    """The classifier's acts of a turn, with the exact price/discount patterns the product
    adds (a number or "10% off" is a price offer)."""
    acts = {a for s in classify_sentences(text) for a, _p in s.acts}
    if extract_prices(text) or PATTERNS["concession"].search(text) and "%" in text:
        acts.add("price_offer")
    return acts


def pattern_acts(text: str) -> set[str]:
    acts = set(baseline.classify(text).acts)
    if "concession" in acts:
        acts.add("price_offer")
    return acts


def prf(gold: list[set[str]], pred: list[set[str]], acts: tuple[str, ...]) -> dict:
    rows = {}
    for a in acts:
        tp = sum(1 for g, p in zip(gold, pred) if a in g and a in p)
        fp = sum(1 for g, p in zip(gold, pred) if a not in g and a in p)
        fn = sum(1 for g, p in zip(gold, pred) if a in g and a not in p)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows[a] = {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3), "support": tp + fn}
    return rows


def macro(gold: list[set[str]], pred: list[set[str]], acts: tuple[str, ...]) -> float:
    return statistics.fmean(r["f1"] for r in prf(gold, pred, acts).values())


def boot(gold: list[set[str]], pred: list[set[str]], acts: tuple[str, ...], n: int = 1000) -> list[float]:
    rng = random.Random(0)
    idx = range(len(gold))
    vals = []
    for _ in range(n):
        s = [rng.choice(idx) for _ in idx]
        vals.append(macro([gold[i] for i in s], [pred[i] for i in s], acts))
    vals.sort()
    return [round(vals[int(0.025 * n)], 3), round(vals[int(0.975 * n) - 1], 3)]


def collapse(acts: set[str]) -> set[str]:
    out = {"question" if a in QUESTION_ACTS else a for a in acts}
    if "need_linked_value" in out:
        out.add("value_statement")
    return out & set(COARSE)


def compare(gold: list[set[str]], systems: dict[str, list[set[str]]], acts: tuple[str, ...]) -> dict:
    return {
        name: {"macro_f1": round(macro(gold, pred, acts), 3), "macro_f1_ci95": boot(gold, pred, acts), "per_act": prf(gold, pred, acts)}
        for name, pred in systems.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    head = load_head()
    test = [t for t in read_turns() if t.split == "test"]
    gold = [set(t.acts) - {"other"} for t in test]
    t0 = time.perf_counter()
    lat_new, lat_old, new, old = [], [], [], []
    for t in test:
        a = time.perf_counter()
        new.append(classifier_acts(t.text))
        lat_new.append(time.perf_counter() - a)
        a = time.perf_counter()
        old.append(pattern_acts(t.text))
        lat_old.append(time.perf_counter() - a)
    out: dict = {
        "head": {k: head.meta.get(k) for k in ("trained_on", "chosen_on", "dev_macro_f1", "C", "n_train")},
        "rep_turns_test": {
            "split": "test (never trained on, nothing chosen on it)",
            "turns": len(test),
            "multi_act_turns": sum(1 for t in test if len(t.acts) > 1),
            **compare(gold, {"classifier": new, "patterns": old}, EVAL_ACTS),
            "by_language": {
                lang: {
                    "turns": sum(1 for t in test if t.lang == lang),
                    **{
                        name: round(macro([g for g, t in zip(gold, test) if t.lang == lang], [p for p, t in zip(pred, test) if t.lang == lang], EVAL_ACTS), 3)
                        for name, pred in (("classifier", new), ("patterns", old))
                    },
                }
                for lang in ("en", "zh")
            },
            "latency_ms_median": {"classifier": round(1000 * statistics.median(lat_new), 1), "patterns": round(1000 * statistics.median(lat_old), 2)},
        },
    }
    # Chinese in detail: the first 28 test turns (seen once before the added rows) vs the added ones
    zh_parts = {
        "all": [i for i, t in enumerate(test) if t.lang == "zh"],
        f"first written (ids up to {FIRST_ZH_BATCH_LAST_ID}, seen once before)": [
            i for i, t in enumerate(test) if t.lang == "zh" and t.id <= FIRST_ZH_BATCH_LAST_ID
        ],
        "added later": [i for i, t in enumerate(test) if t.lang == "zh" and t.id > FIRST_ZH_BATCH_LAST_ID],
    }
    out["rep_turns_test"]["zh_detail"] = {
        name: {
            "turns": len(idx),
            **{
                sysname: {
                    "macro_f1": round(macro([gold[i] for i in idx], [pred[i] for i in idx], EVAL_ACTS), 3),
                    "macro_f1_ci95": boot([gold[i] for i in idx], [pred[i] for i in idx], EVAL_ACTS),
                }
                for sysname, pred in (("classifier", new), ("patterns", old))
            },
        }
        for name, idx in zh_parts.items()
        if idx
    }
    if (args.data / "dialogues").is_dir():
        for name, rows in (
            ("persuasionforgood_test_half", [(s, a) for s, a, h in read_p4g(args.data) if h == "test"]),
            ("casino_all", read_casino(args.data)),
        ):
            g = [{a} for _, a in rows]
            texts = [s for s, _ in rows]
            present = tuple(a for a in COARSE if any(a in x for x in g))  # macro over the acts this set has
            out[name] = {
                "split": "P4G dialogues of the half never trained on" if name.startswith("persuasion") else "never trained on",
                "sentences": len(rows),
                "mapping": "greeting/small-talk, inquiries/elicit-pref -> question, acknowledgement/empathy, credibility-appeal -> evidence, logical/emotion-appeal -> value_statement",
                "acts": list(present),
                **compare(g, {"classifier": [collapse(classifier_acts(s)) for s in texts], "patterns": [collapse(pattern_acts(s)) for s in texts]}, present),
            }
    out["elapsed_s"] = round(time.perf_counter() - t0, 1)
    res = ROOT / "benchmarks" / "results" / "roleplay_acts.json"
    res.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    summary = {k: {n: v[n]["macro_f1"] for n in ("classifier", "patterns")} for k, v in out.items() if isinstance(v, dict) and "classifier" in v}
    sys.stdout.write(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
