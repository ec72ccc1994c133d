"""Need discovery by meaning: does a rep's question reveal the hidden need it is about?

Our own labelled question -> need pairs (``coach/roleplay/data/need_questions.jsonl``:
questions written without the personas' cue words, plus questions about no need),
split dev/test by a hash of the text when they were written. The similarity threshold
and margin were chosen on dev (``python -m coach.roleplay.need_match``); this reports
the test half, next to the persona's cue words alone (the old rule) and to both
together (what the role-play uses).

  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/roleplay_needs.py

Writes ``benchmarks/results/roleplay_needs.json``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.roleplay.acts import _has_word  # noqa: E402
from coach.roleplay.need_match import (  # noqa: E402
    SETTINGS_FILE,
    load_settings,
    persona_sheets,
    predict,
    read_questions,
    scores,
    similarities,
)
from coach.roleplay.personas import load_personas  # noqa: E402

log = logging.getLogger("benchmarks.roleplay_needs")


def run() -> dict:
    knowledge = ROOT / "knowledge"
    personas = load_personas(knowledge)
    sheets = persona_sheets(knowledge)
    settings = load_settings()
    rows = read_questions()
    out: dict = {
        "data": "our own question -> need pairs (coach/roleplay/data/need_questions.jsonl)",
        "settings": {**settings.__dict__, "chosen_on": "dev split"},
        "chosen_on_dev": json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))["dev"],
    }
    t0 = time.perf_counter()
    for split in ("dev", "test"):
        part = [r for r in rows if r.split == split]
        gold = [r.need for r in part]
        meaning = predict(similarities(part, sheets), settings)
        cues = []
        for r in part:
            low = r.text.lower()
            hit = [n.id for n in personas[r.persona].hidden_needs if any(_has_word(low, c) for c in n.cues)]
            cues.append(hit[0] if hit else None)
        both = [c or m for c, m in zip(cues, meaning)]
        out[split] = {
            "meaning": scores(gold, meaning),
            "cue_words": scores(gold, cues),
            "cue_words_then_meaning": scores(gold, both),
            "by_language": {
                lang: scores(
                    [g for g, r in zip(gold, part) if personas[r.persona].language == lang],
                    [p for p, r in zip(both, part) if personas[r.persona].language == lang],
                )
                for lang in ("en", "zh")
            },
        }
    out["elapsed_s"] = round(time.perf_counter() - t0, 2)
    return out


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    res = run()
    path = ROOT / "benchmarks" / "results" / "roleplay_needs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    t = res["test"]
    for name in ("cue_words", "meaning", "cue_words_then_meaning"):
        s = t[name]
        log.info("test %-24s n=%d precision %.3f recall %.3f F1 %.3f", name, s["n"], s["precision"], s["recall"], s["f1"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
