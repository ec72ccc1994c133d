"""Training data and fitting of the rep-act head (``act_model.ActHead``).

Data:
- ``data/rep_turns.jsonl``: our own sample of sales rep turns, written and labelled for
  this project (not real calls), each with its acts and a ``split`` (train/dev/test)
  fixed by a hash of the text before any model was trained. One-sentence rows train the
  head; multi-sentence turns are only used to measure.
- PersuasionForGood persuader sentences (``../shared/data/dialogues``), strategies mapped
  to our acts (``P4G_MAP``); dialogues split in halves by a hash of their id. Whether the
  train half helps is decided on our dev split.
- CaSiNo (``CASINO_MAP``) is never trained on: it only measures.

Settings (C, use of PersuasionForGood, thresholds) are chosen on the dev split; the
shipped head is then refitted on train + dev with those settings. Run::

    .venv/bin/python -m coach.roleplay.act_training     # rewrites data/act_head.json
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.errors import DependencyMissingError
from coach.roleplay.act_model import HEAD_ACTS, HEAD_FILE, TURNS_FILE, ActHead, embed, file_sha256, sentences

log = logging.getLogger(__name__)

#: the rep acts a question can be; collapsed to "question" for the real-dialogue sets
QUESTION_ACTS = ("discovery_open", "discovery_closed", "clarify", "authority_question")
#: PersuasionForGood persuader strategy -> our act
P4G_MAP = {
    "greeting": "greeting",
    "acknowledgement": "acknowledge",
    "credibility-appeal": "evidence",
    "logical-appeal": "value_statement",
    "emotion-appeal": "value_statement",
    "task-related-inquiry": "question",
    "personal-related-inquiry": "question",
    "source-related-inquiry": "question",
}
#: CaSiNo strategy -> our act
CASINO_MAP = {"small-talk": "greeting", "elicit-pref": "question", "showing-empathy": "acknowledge"}
C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
TOP_GRID = (0.0, 0.2, 0.3, 0.4)
SECOND_GRID = (0.25, 0.35, 0.45, 1.01)


@dataclass
class Turn:
    id: str
    text: str
    acts: list[str]
    lang: str
    split: str


def split_for(text: str) -> str:
    """The split of a labelled rep turn, fixed by a hash of its text when it is written
    (first 8 hex digits of SHA-256 mod 100: < 60 train, < 75 dev, else test)."""
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 60 else "dev" if bucket < 75 else "test"


def read_turns(path: Path = TURNS_FILE) -> list[Turn]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(Turn(d["id"], d["text"], list(d["acts"]), d.get("lang", "en"), d["split"]))
    return rows


def _half(key: str) -> str:
    return "train" if int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 2 == 0 else "test"


def read_p4g(data_dir: Path) -> list[tuple[str, str, str]]:
    """(sentence, mapped act, half) for persuader sentences with a mapped strategy."""
    path = data_dir / "dialogues" / "persuasionforgood" / "300_dialog.csv"
    out = []
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            act = P4G_MAP.get(r.get("er_label_1") or "")
            text = (r.get("Unit") or "").strip()
            if r.get("B4") == "0" and act and len(text) > 1 and text != "URL":
                out.append((text, act, _half(r["B2"])))
    return out


def read_casino(data_dir: Path) -> list[tuple[str, str]]:
    """(utterance, mapped act) for CaSiNo utterances with exactly one mapped strategy."""
    path = data_dir / "dialogues" / "casino" / "casino_valid.json"
    out = []
    for d in json.loads(path.read_text(encoding="utf-8")):
        for text, labels in d.get("annotations", []):
            mapped = {CASINO_MAP[x] for x in labels.split(",") if x in CASINO_MAP}
            if len(mapped) == 1 and text.strip():
                out.append((text.strip(), mapped.pop()))
    return out


def single_act_rows(turns: list[Turn], split: str) -> tuple[list[str], list[str]]:
    """Training rows of one split: one-sentence turns, one row per act (a sentence with
    two acts, "sign today and get 10% off", is a row for each)."""
    texts, labels = [], []
    for t in turns:
        if t.split == split and (len(t.acts) == 1 or len(sentences(t.text)) == 1):
            for a in t.acts:
                texts.append(t.text)
                labels.append(a)
    return texts, labels


def fit(x: np.ndarray, y: list[str], C: float) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    try:
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    except ImportError:
        raise DependencyMissingError("scikit-learn", "training the rep-act head") from None
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    clf.fit(x, y)
    return clf.coef_.astype(np.float32), clf.intercept_.astype(np.float32), tuple(str(c) for c in clf.classes_)


def turn_acts(head: ActHead, turn_sentences: list[list[str]], vecs: np.ndarray) -> list[set[str]]:
    """Predicted act sets of turns from their sentences' embeddings (rows of ``vecs``)."""
    labels = head.labels(head.proba(vecs)) if len(vecs) else []
    out, k = [], 0
    for sents in turn_sentences:
        acts: set[str] = set()
        for _ in sents:
            acts |= {a for a, _p in labels[k]}
            k += 1
        out.append(acts)
    return out


def macro_f1(gold: list[set[str]], pred: list[set[str]], acts: tuple[str, ...]) -> float:
    f1s = []
    for a in acts:
        tp = sum(1 for g, p in zip(gold, pred) if a in g and a in p)
        fp = sum(1 for g, p in zip(gold, pred) if a not in g and a in p)
        fn = sum(1 for g, p in zip(gold, pred) if a in g and a not in p)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s))


@dataclass
class Fitted:
    head: ActHead
    dev_macro_f1: float
    choice: dict


def choose_and_fit(turns: list[Turn], data_dir: Path | None) -> Fitted:
    """Pick C, the PersuasionForGood option and thresholds on dev; refit on train + dev."""
    tr_x, tr_y = single_act_rows(turns, "train")
    dev = [t for t in turns if t.split == "dev"]
    p4g = [(s, a) for s, a, h in read_p4g(data_dir) if h == "train" and a != "question"] if data_dir else []
    dev_sents = [sentences(t.text) or [t.text] for t in dev]
    flat = [s for ss in dev_sents for s in ss]
    cache = dict(zip(tr_x + flat, embed(tr_x + flat)))
    p4g_vecs = embed([s for s, _ in p4g]) if p4g else np.zeros((0, 384), np.float32)
    dev_vecs = np.stack([cache[s] for s in flat])
    gold = [set(t.acts) - {"other"} for t in dev]
    best: tuple[float, dict] | None = None
    for use_p4g in ([False, True] if p4g else [False]):
        x = np.stack([cache[s] for s in tr_x])
        y = list(tr_y)
        if use_p4g:
            x = np.vstack([x, p4g_vecs])
            y += [a for _, a in p4g]
        for C in C_GRID:
            coef, icpt, classes = fit(x, y, C)
            for top in TOP_GRID:
                for second in SECOND_GRID:
                    head = ActHead(classes, coef, icpt, top, second, {})
                    f1 = macro_f1(gold, turn_acts(head, dev_sents, dev_vecs), HEAD_ACTS[:-1])
                    if best is None or f1 > best[0] + 1e-9:
                        best = (f1, {"C": C, "p4g": use_p4g, "min_top": top, "min_second": second})
    assert best is not None
    f1, choice = best
    log.info("act head chosen on dev: %s (dev macro-F1 %.3f)", choice, f1)
    # refit on train + dev single-act rows with the chosen settings
    all_x, all_y = tr_x + single_act_rows(turns, "dev")[0], tr_y + single_act_rows(turns, "dev")[1]
    missing = sorted({s for s in all_x if s not in cache})
    cache.update(zip(missing, embed(missing)))
    vecs = np.stack([cache[s] for s in all_x])
    y = list(all_y)
    if choice["p4g"]:
        vecs = np.vstack([vecs, p4g_vecs])
        y += [a for _, a in p4g]
    coef, icpt, classes = fit(vecs, y, choice["C"])
    meta = {
        "train_file": TURNS_FILE.name,
        "train_sha256": file_sha256(),
        "trained_on": "rep_turns train+dev single-act rows" + (" + PersuasionForGood train half" if choice["p4g"] else ""),
        "n_train": len(y),
        "chosen_on": "rep_turns dev split",
        "dev_macro_f1": round(f1, 4),
        **{k: v for k, v in choice.items() if k not in ("min_top", "min_second")},
    }
    head = ActHead(classes, coef, icpt, choice["min_top"], choice["min_second"], meta)
    return Fitted(head, f1, choice)


def main() -> None:
    import argparse

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(description="Train the rep-act head and write data/act_head.json")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    args = ap.parse_args()
    data_dir = args.data if (args.data / "dialogues").is_dir() else None
    if data_dir is None:
        log.warning("no %s: training on our own turns only", args.data)
    fitted = choose_and_fit(read_turns(), data_dir)
    HEAD_FILE.write_text(json.dumps(fitted.head.to_json()) + "\n", encoding="utf-8")
    log.info("wrote %s", HEAD_FILE)


if __name__ == "__main__":
    main()
