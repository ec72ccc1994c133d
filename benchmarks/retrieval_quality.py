"""Retrieval quality on a case base built from real negotiations (CraigslistBargain dev).

One case per negotiation: the listing's title + description (seller's view), its
category as ``industry``, outcome ``won`` when a deal was reached (``reward == 1``).
Listings (``post_id``; a listing can have several negotiations) are split with a fixed
seed into base 60% / validation 20% / test 20%; only base negotiations are ingested.
Each held-out listing is a query (title + description) searched with ``outcome=won``.

Relevant for a query = the won base cases of the query listing's category.
- recall@5 (capped) = |top-5 ∩ relevant| / min(5, |relevant|). Every category has more
  than 5 won base cases, so this is also precision@5: the share of the 5 returned won
  cases that are of the right category. (Uncapped recall |top-5 ∩ R|/|R| is at most
  5/|R| ≈ 0.02-0.1 here and says nothing.)
- hit@1: the first result is of the right category.  MRR@5: 1/rank of the first one.

Modes: vector only, BM25 only, hybrid with the product defaults (relative-score fusion,
weights 0.75:0.25 taken from Weaviate's default alpha, not fitted), plain RRF (1:1, k=60), and
hybrid with the fusion function and weights tuned on each seed's validation split (grid
search; the test split is never used for tuning). Repeated over several seeds.

Second table: known-item search on the shipped sample knowledge base (knowledge/cases):
18 natural queries (10 English, 8 Chinese) written for one case each; top-1 / top-5.

Run:  .venv/bin/python benchmarks/retrieval_quality.py [--seeds 13,14,15,16,17]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.settings import RetrievalSettings  # noqa: E402
from retrieval.embeddings import build_embedder  # noqa: E402
from retrieval.kb import KnowledgeBase  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "dialogues" / "craigslistbargain" / "dev.json"
OUT = REPO / "benchmarks" / "results" / "retrieval_quality.json"
K = 5


class EmbeddingCache:
    """Wraps the real embedder and memoises vectors by text (seeds share listings; the
    grid search repeats queries)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts, *, batch_size=32):
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for t, v in zip(todo, self.inner.encode(todo, batch_size=batch_size)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])


def listing(neg: dict) -> dict:
    kb = next(k for k in neg["scenario"]["kbs"] if k["personal"]["Role"] == "seller")
    item = kb["item"]
    return {
        "post_id": neg["scenario"]["post_id"],
        "title": " ".join(item["Title"].split()),
        "description": "\n".join(d.strip() for d in item["Description"] if d.strip()),
        "category": item["Category"],
        "won": bool(neg.get("outcome") and neg["outcome"].get("reward") == 1),
    }


def split(negs: list[dict], seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    rows = [listing(n) for n in negs]
    posts = sorted({r["post_id"] for r in rows})
    random.Random(seed).shuffle(posts)
    n = len(posts)
    base_ids, val_ids = set(posts[: int(0.6 * n)]), set(posts[int(0.6 * n) : int(0.8 * n)])
    base = [r for r in rows if r["post_id"] in base_ids]
    first: dict[str, dict] = {}
    for r in rows:
        first.setdefault(r["post_id"], r)
    val = [first[p] for p in posts if p in val_ids]
    test = [first[p] for p in posts if p not in base_ids and p not in val_ids]
    return base, val, test


def write_cases(base: list[dict], folder: Path) -> None:
    import yaml

    for i, r in enumerate(base):
        fm = {"id": f"cl-{i:04d}-{r['post_id']}", "title": r["title"] or "untitled", "industry": r["category"],
              "product": r["category"], "outcome": "won" if r["won"] else "lost"}
        body = r["description"] or r["title"]
        (folder / f"{fm['id']}.md").write_text(f"---\n{yaml.safe_dump(fm, allow_unicode=True)}---\n{body}\n", encoding="utf-8")


def evaluate(kb: KnowledgeBase, queries: list[dict], won_by_cat: dict[str, int], cat_of: dict[str, str], mode: str) -> dict:
    recall, hit1, rr = [], [], []
    for q in queries:
        hits = kb.search(f"{q['title']}\n{q['description']}", k=K, outcome="won", mode=mode)
        rel = [cat_of[h.id] == q["category"] for h in hits]
        recall.append(sum(rel) / min(K, won_by_cat[q["category"]]))
        hit1.append(float(bool(rel) and rel[0]))
        rr.append(next((1.0 / (i + 1) for i, ok in enumerate(rel) if ok), 0.0))
    return {"recall@5": round(float(np.mean(recall)), 4), "hit@1": round(float(np.mean(hit1)), 4),
            "mrr@5": round(float(np.mean(rr)), 4), "queries": len(queries)}


def configure(kb: KnowledgeBase, fusion: str, w_vec: float, w_bm25: float, rrf_k: float, w_cjk: float | None = None) -> None:
    """Set the fusion of ``kb``'s searcher; Chinese queries keep the default CJK weight
    unless ``w_cjk`` is given (only the sample-KB table has Chinese queries)."""
    sr = kb._searcher
    sr.fusion, sr.vector_weight, sr.bm25_weight, sr.rrf_k = fusion, w_vec, w_bm25, rrf_k
    sr.bm25_weight_cjk = DEFAULTS.bm25_weight_cjk if w_cjk is None else w_cjk


DEFAULTS = RetrievalSettings()
#: (fusion, w_vec, w_bm25, rrf_k) candidates for validation tuning; w_bm25 > 0 (a real hybrid).
#: For "relative" only the ratio of the weights matters.
GRID = [("relative", 1.0, w, 60) for w in (0.05, 0.1, 0.15, 0.2, 0.25, 0.33, 0.5, 0.75, 1.0)] + [
    ("rrf", 1.0, w, k) for k in (10, 30, 60) for w in (0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
]
FIXED = {
    "hybrid default": ("hybrid", (DEFAULTS.fusion, DEFAULTS.vector_weight, DEFAULTS.bm25_weight, DEFAULTS.rrf_k)),
    "hybrid RRF 1:1 k=60": ("hybrid", ("rrf", 1.0, 1.0, 60, 1.0)),
}


def label(cfg: tuple) -> str:
    fusion, w_vec, w_bm25, rrf_k = cfg[:4]
    return f"{fusion} {w_vec:g}:{w_bm25:g}" + (f" k={rrf_k:g}" if fusion == "rrf" else "")


def run_seed(negs: list[dict], seed: int, embedder, root: Path) -> dict:
    base, val, test = split(negs, seed)
    won_by_cat: dict[str, int] = {}
    for r in base:
        if r["won"]:
            won_by_cat[r["category"]] = won_by_cat.get(r["category"], 0) + 1
    folder = root / f"cases-{seed}"
    folder.mkdir()
    write_cases(base, folder)
    cat_of = {f"cl-{i:04d}-{r['post_id']}": r["category"] for i, r in enumerate(base)}
    kb = KnowledgeBase(DEFAULTS, data_dir=root / f"data-{seed}", embedder=embedder)
    t0 = time.perf_counter()
    report = kb.ingest([folder])
    ingest_s = time.perf_counter() - t0
    assert not report.errors, report.errors[:3]
    # validation grid: best recall@5, ties -> better MRR
    grid = []
    for cfg in GRID:
        configure(kb, *cfg)
        grid.append({"config": label(cfg), "cfg": cfg, **evaluate(kb, val, won_by_cat, cat_of, "hybrid")})
    best = max(grid, key=lambda g: (g["recall@5"], g["mrr@5"]))
    test_res = {}
    for name, mode in (("vector", "vector"), ("bm25", "bm25")):
        test_res[name] = evaluate(kb, test, won_by_cat, cat_of, mode)
    for name, (mode, cfg) in FIXED.items():
        configure(kb, *cfg)
        test_res[name] = evaluate(kb, test, won_by_cat, cat_of, mode)
    configure(kb, *best["cfg"])
    test_res["hybrid tuned on val"] = evaluate(kb, test, won_by_cat, cat_of, "hybrid")
    return {"seed": seed, "base_cases": len(base), "base_won": sum(r["won"] for r in base),
            "won_by_category": won_by_cat, "val_queries": len(val), "test_queries": len(test),
            "ingest_s": round(ingest_s, 2), "chunks": report.chunks,
            "tuned": {"config": best["config"], "cfg": best["cfg"], "val_recall@5": best["recall@5"]},
            "test": test_res, "grid": grid}


#: known-item queries on the shipped sample knowledge base (query, the case it describes)
SAMPLE_QUERIES = [
    ("Hospital emergency department wants portable ultrasound but says the competitor is 20% cheaper", "med-eastbank-portascan-2025"),
    ("bus depot chargers and cold weather concerns", "nev-northstar-chargegrid-2024"),
    ("paper mill condition monitoring stuck in group procurement", "ind-pinecrest-senseguard-2024"),
    ("frozen dough supply for bakery cafes", "food-urbancrust-harvest-2025"),
    ("construction company ERP, worried about integration and switching cost", "sw-granite-ledgerline-2024"),
    ("fast chargers for an electric taxi cooperative", "nev-metrocab-chargegrid-2025"),
    ("ICU patient monitors that must integrate with our EHR", "med-riverside-vitalink-2025"),
    ("department store worried about customer data privacy with skin analysers", "beauty-aurora-lumaskin-2024"),
    ("meal delivery for senior living homes", "food-maplegrove-coldlink-2025"),
    ("the new CIO cancelled our analytics project", "sw-oakridge-dataharbor-2024"),
    ("火锅连锁的冷链配送，客户原来用别的供应商", "food-zh-bashu-coldlink-2025"),
    ("县医院监护仪项目预算冻结，对手低价竞争", "med-zh-chuanxi-vitalink-2024"),
    ("客户担心电动物流车的电池安全", "nev-zh-rongcheng-voltrun-2025"),
    ("冲压线经常停机，想做振动监测", "ind-zh-hongda-senseguard-2025"),
    ("客服系统缺少投资回报论证", "sw-zh-yunfan-pulsedesk-2024"),
    ("本地部署ERP要通过数据安全评审", "sw-zh-hanxin-ledgerline-2025"),
    ("学校食材采购平台的招标", "food-zh-minnan-freshroute-2024"),
    ("美妆连锁采购皮肤检测仪，竞争对手是BrightWave", "beauty-zh-meiyan-lumaskin-2025"),
]


def sample_kb(embedder, root: Path, tuned: tuple) -> dict | None:
    cases = REPO / "knowledge" / "cases"
    if not cases.is_dir():
        return None
    kb = KnowledgeBase(DEFAULTS, data_dir=root / "sample", embedder=embedder)
    rep = kb.ingest([cases])
    out: dict = {"cases": rep.added, "chunks": rep.chunks}
    configs = [("vector", "vector", None), ("bm25", "bm25", None)] + [(n, m, c) for n, (m, c) in FIXED.items()]
    configs.append((f"hybrid {label(tuned)} (tuned, seed 1)", "hybrid", tuned))
    for name, mode, cfg in configs:
        if cfg:
            configure(kb, *cfg)
        ranks = []
        for q, expected in SAMPLE_QUERIES:
            ids = [h.id for h in kb.search(q, k=5, mode=mode)]
            ranks.append(ids.index(expected) + 1 if expected in ids else None)
        en, zh = ranks[:10], ranks[10:]
        out[name] = {"en_top1": sum(r == 1 for r in en), "en_top5": sum(r is not None for r in en),
                     "zh_top1": sum(r == 1 for r in zh), "zh_top5": sum(r is not None for r in zh),
                     "n_en": len(en), "n_zh": len(zh), "ranks": ranks}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", default="13,14,15,16,17")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    seeds = [int(x) for x in args.seeds.split(",")]

    negs = json.loads(args.data.read_text(encoding="utf-8"))
    embedder = EmbeddingCache(build_embedder(""))
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for seed in seeds:
            runs.append(run_seed(negs, seed, embedder, Path(tmp)))
            print(f"seed {seed}: " + json.dumps({k: v["recall@5"] for k, v in runs[-1]["test"].items()}), flush=True)
        sample = sample_kb(embedder, Path(tmp), tuple(runs[0]["tuned"]["cfg"]))

    modes = list(runs[0]["test"])
    agg = {}
    for m in modes:
        agg[m] = {metric: {"mean": round(float(np.mean([r["test"][m][metric] for r in runs])), 4),
                           "sd": round(float(np.std([r["test"][m][metric] for r in runs], ddof=1)), 4) if len(runs) > 1 else 0.0}
                  for metric in ("recall@5", "hit@1", "mrr@5")}
    best_single = [max(r["test"]["vector"]["recall@5"], r["test"]["bm25"]["recall@5"]) for r in runs]
    summary = {
        "dataset": "craigslistbargain/dev.json", "seeds": seeds, "k": K,
        "defaults": DEFAULTS.model_dump(include={"fusion", "vector_weight", "bm25_weight", "bm25_weight_cjk", "rrf_k", "candidates"}),
        "test_mean": agg,
        "hybrid_default_minus_best_single": [round(r["test"]["hybrid default"]["recall@5"] - b, 4) for r, b in zip(runs, best_single)],
        "hybrid_tuned_minus_best_single": [round(r["test"]["hybrid tuned on val"]["recall@5"] - b, 4) for r, b in zip(runs, best_single)],
        "runs": runs, "sample_kb": sample, "embedding_model": embedder.name,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")

    r0 = runs[0]
    print(f"\nCraigslistBargain dev: per seed ~{r0['base_cases']} base cases (~{r0['base_won']} won), "
          f"{r0['val_queries']} validation / {r0['test_queries']} test queries; seeds {seeds}; "
          "test split, mean (sd) over seeds\n")
    print("| mode | recall@5 | hit@1 | MRR@5 |")
    print("| --- | --- | --- | --- |")
    for m in modes:
        cells = " | ".join(f"{agg[m][x]['mean']:.3f} ({agg[m][x]['sd']:.3f})" for x in ("recall@5", "hit@1", "mrr@5"))
        print(f"| {m} | {cells} |")
    print("\ntuned on validation, per seed: " + "; ".join(r["tuned"]["config"] for r in runs))
    print("recall@5 minus best single mode, per seed: default "
          f"{summary['hybrid_default_minus_best_single']}, tuned {summary['hybrid_tuned_minus_best_single']}")
    if sample:
        print(f"\nsample KB known-item ({sample['cases']} cases, {sample['chunks']} chunks; "
              f"{len(SAMPLE_QUERIES) - 8} English + 8 Chinese queries, k=5)\n")
        print("| mode | EN top-1 | EN top-5 | ZH top-1 | ZH top-5 |")
        print("| --- | --- | --- | --- | --- |")
        for name, v in sample.items():
            if isinstance(v, dict):
                print(f"| {name} | {v['en_top1']}/{v['n_en']} | {v['en_top5']}/{v['n_en']} | {v['zh_top1']}/{v['n_zh']} | {v['zh_top5']}/{v['n_zh']} |")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
