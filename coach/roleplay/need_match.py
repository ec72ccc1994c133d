"""Which hidden need a rep's question is about, by meaning.

A question sentence is embedded with the bundled encoder (``act_model.embed``) and
compared with each need's text (its ``description``, or that plus the buyer's
``reveal_line``). The closest need counts when its cosine similarity reaches
``threshold`` and beats the runner-up by ``margin`` - unless one of the persona's public
facts (``background``) is closer than that need by more than ``fact_margin``: then it is
a question about a fact, which the buyer answers with the fact. The text and the three
numbers are chosen on the dev half of our own labelled question -> need pairs
(``data/need_questions.jsonl``, split by a hash of the text when the rows were written)
and ship in ``data/need_match.json``; ``benchmarks/roleplay_needs.py`` reports the other
half. The persona's cue words still count as exact extras (see ``acts.classify``).

Rebuild the settings: ``.venv/bin/python -m coach.roleplay.need_match``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.errors import ConfigurationError
from coach.roleplay.act_model import DATA_DIR, embed, file_sha256
from coach.roleplay.personas import HiddenNeed, load_personas

log = logging.getLogger(__name__)

QUESTIONS_FILE = DATA_DIR / "need_questions.jsonl"
SETTINGS_FILE = DATA_DIR / "need_match.json"
#: what a need is compared by
TEXTS = ("description", "description + reveal line")
THRESHOLDS = tuple(round(0.60 + 0.005 * i, 3) for i in range(65))
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06)
#: None: facts are not compared
FACT_MARGINS = (None, 0.0, 0.01, 0.02, 0.03)


def split_for(text: str) -> str:
    """The split of a labelled question, fixed by a hash of its text."""
    return "dev" if int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 2 == 0 else "test"


@dataclass(frozen=True)
class NeedQuestion:
    persona: str
    text: str
    need: str | None
    split: str


@dataclass(frozen=True)
class MatchSettings:
    threshold: float
    margin: float
    text: str = "description"
    fact_margin: float | None = None


@dataclass(frozen=True)
class Sheet:
    """What a question is compared with: need id -> ``need_text``, and the public facts."""

    needs: dict[str, str]
    facts: tuple[str, ...] = ()


def need_text(need: HiddenNeed, text: str | None = None) -> str:
    """The text a question is compared with for ``need``."""
    kind = text or load_settings().text
    return need.description if kind == "description" else f"{need.description} {need.reveal_line}"


def read_questions(path: Path = QUESTIONS_FILE) -> list[NeedQuestion]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(NeedQuestion(d["persona"], d["text"], d.get("need"), d["split"]))
    return rows


@lru_cache(maxsize=1)
def load_settings(path: Path = SETTINGS_FILE) -> MatchSettings:
    if not path.is_file():
        raise ConfigurationError(
            f"the need-matching settings {path} are missing", detail="choose them: .venv/bin/python -m coach.roleplay.need_match"
        )
    d = json.loads(path.read_text(encoding="utf-8"))
    fm = d.get("fact_margin")
    return MatchSettings(float(d["threshold"]), float(d["margin"]), d.get("text", "description"), None if fm is None else float(fm))


def pick(sims: np.ndarray, settings: MatchSettings, best_fact: float | None = None) -> int | None:
    """Index of the need a question is about, or None."""
    if sims.size == 0:
        return None
    order = np.argsort(-sims)
    top = float(sims[order[0]])
    second = float(sims[order[1]]) if sims.size > 1 else -1.0
    if top < settings.threshold or top - second < settings.margin:
        return None
    if settings.fact_margin is not None and best_fact is not None and best_fact - top > settings.fact_margin:
        return None
    return int(order[0])


def match_need(question: str, sheet: Sheet, settings: MatchSettings | None = None) -> str | None:
    """The hidden need (id) ``question`` asks about, if any."""
    if not sheet.needs or not question.strip():
        return None
    ids = list(sheet.needs)
    vecs = embed([question] + [sheet.needs[i] for i in ids] + list(sheet.facts))
    sims = vecs[1:] @ vecs[0]
    best_fact = float(sims[len(ids) :].max()) if sheet.facts else None
    idx = pick(sims[: len(ids)], settings or load_settings(), best_fact)
    return ids[idx] if idx is not None else None


def similarities(rows: list[NeedQuestion], sheets: dict[str, Sheet]) -> list[tuple[list[str], np.ndarray, float | None]]:
    """Per row: its persona's need ids, the question's similarity to each, and to its closest fact."""
    texts = sorted({r.text for r in rows} | {t for s in sheets.values() for t in (*s.needs.values(), *s.facts)})
    vec = dict(zip(texts, embed(texts)))
    out = []
    for r in rows:
        sheet = sheets[r.persona]
        ids = list(sheet.needs)
        q = vec[r.text]
        fact = max((float(vec[f] @ q) for f in sheet.facts), default=None)
        out.append((ids, np.array([float(vec[sheet.needs[i]] @ q) for i in ids]), fact))
    return out


def scores(gold: list[str | None], pred: list[str | None]) -> dict:
    """Precision/recall/F1 of (question, need) detections; accuracy incl. "no need"."""
    tp = sum(1 for g, p in zip(gold, pred) if p is not None and p == g)
    fp = sum(1 for g, p in zip(gold, pred) if p is not None and p != g)
    fn = sum(1 for g, p in zip(gold, pred) if g is not None and p != g)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    acc = sum(1 for g, p in zip(gold, pred) if g == p) / max(1, len(gold))
    return {"n": len(gold), "precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3), "accuracy": round(acc, 3)}


def predict(sims: list[tuple[list[str], np.ndarray, float | None]], settings: MatchSettings) -> list[str | None]:
    out = []
    for ids, s, fact in sims:
        idx = pick(s, settings, fact)
        out.append(ids[idx] if idx is not None else None)
    return out


def choose(rows: list[NeedQuestion], knowledge_dir: Path) -> tuple[MatchSettings, dict]:
    """Best (need text, threshold, margin, fact margin) by F1 on the dev rows (ties: the
    first tried: stricter threshold, smaller margins, facts not compared)."""
    dev = [r for r in rows if r.split == "dev"]
    gold = [r.need for r in dev]
    best: tuple[float, MatchSettings, dict] | None = None
    for text in TEXTS:
        sims = similarities(dev, persona_sheets(knowledge_dir, text))
        for fact_margin in FACT_MARGINS:
            for margin in MARGINS:
                for thr in sorted(THRESHOLDS, reverse=True):
                    s = MatchSettings(thr, margin, text, fact_margin)
                    sc = scores(gold, predict(sims, s))
                    if best is None or sc["f1"] > best[0] + 1e-9:
                        best = (sc["f1"], s, sc)
    assert best is not None
    return best[1], best[2]


def persona_sheets(knowledge_dir: Path, text: str | None = None) -> dict[str, Sheet]:
    """persona id -> what its questions are compared with."""
    personas = load_personas(knowledge_dir)
    return {
        pid: Sheet({n.id: need_text(n, text) for n in p.hidden_needs}, tuple(p.background)) for pid, p in personas.items()
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    knowledge = Path(__file__).resolve().parents[2] / "knowledge"
    settings, dev = choose(read_questions(), knowledge)
    SETTINGS_FILE.write_text(
        json.dumps(
            {
                "threshold": settings.threshold,
                "margin": settings.margin,
                "text": settings.text,
                "fact_margin": settings.fact_margin,
                "chosen_on": "need_questions dev split",
                "dev": dev,
                "questions_sha256": file_sha256(QUESTIONS_FILE),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    log.info("need matching chosen on dev: %s %s", settings, dev)


if __name__ == "__main__":
    main()
