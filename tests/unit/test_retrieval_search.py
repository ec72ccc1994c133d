"""Hybrid search logic: RRF fusion, filters on both retrievers, BM25 tokenisation,
snippets, argument validation."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.errors import InputError
from retrieval.settings import RetrievalSettings
from retrieval.bm25 import tokenize
from retrieval.chunk_index import ChunkIndex
from retrieval.embeddings import HashingEmbedder
from retrieval.filters import Filters
from retrieval.kb import KnowledgeBase
from retrieval.fusion import Ranking, fuse
from retrieval.search import best_snippet

CASES = {
    "renji": ("won", "medical devices", "ultrasound", "Shanghai", 3_600_000,
              "Renji hospital procurement pushed back on price. A three-year service plan and uptime data closed it."),
    "huashan": ("lost", "medical devices", "ultrasound", "Shanghai", 900_000,
                "Huashan hospital went with the incumbent. We never met the department head."),
    "glow": ("lost", "beauty retail", "crm", "Guangzhou", 80_000,
             "The beauty chain said the CRM price was too high and chose a cheaper competitor."),
    "fleet": ("won", "new energy vehicles", "ev fleet", "Shenzhen", None,
              "出租车公司担心充电桩不足。我们提供了充电网络方案，车队采购了五十辆电动车。"),
}


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("kb")
    folder = root / "cases"
    folder.mkdir()
    for cid, (outcome, industry, product, region, size, body) in CASES.items():
        size_line = f"deal_size: {size}\n" if size else ""
        (folder / f"{cid}.md").write_text(
            f"---\nid: {cid}\ntitle: {cid.title()} deal\nindustry: {industry}\nproduct: {product}\n"
            f"outcome: {outcome}\nregion: {region}\n{size_line}---\n{body}\n",
            encoding="utf-8",
        )
    kb = KnowledgeBase(RetrievalSettings(), data_dir=root / "data", embedder=HashingEmbedder())
    assert kb.ingest([folder]).added == 4
    return kb


def test_rrf_fusion_math():
    vec = Ranking.from_chunks([("a#0", "a", 0.9), ("a#1", "a", 0.8), ("b#0", "b", 0.7)])
    kw = Ranking.from_chunks([("b#0", "b", 5.0), ("c#0", "c", 3.0), ("a#1", "a", 1.0)])
    assert vec.cases == {"a": (1, "a#0", 0.9), "b": (2, "b#0", 0.7)}
    fused = fuse([(vec, 1.0), (kw, 1.0)], method="rrf", rrf_k=60)
    scores = {c: s for c, s, _ in fused}
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["c"] == pytest.approx(1 / 62)
    assert [c for c, _, _ in fused] == ["b", "a", "c"]
    # the snippet chunk of 'a' is the chunk with the best chunk-level fused score: a#1 (ranks 2 and 3)
    assert dict((c, ch) for c, _, ch in fused)["a"] == "a#1"
    # a zero weight removes a retriever's influence
    assert [c for c, _, _ in fuse([(vec, 1.0), (kw, 0.0)], method="rrf")][:2] == ["a", "b"]


def test_relative_score_fusion_math():
    vec = Ranking.from_chunks([("a#0", "a", 0.9), ("b#0", "b", 0.7), ("c#0", "c", 0.5)])
    kw = Ranking.from_chunks([("c#0", "c", 8.0), ("b#0", "b", 4.0)])
    fused = fuse([(vec, 0.75), (kw, 0.25)], method="relative")
    scores = {c: s for c, s, _ in fused}
    # min-max per retriever: vec a=1, b=0.5, c=0; bm25 c=1, b=0
    assert scores == pytest.approx({"a": 0.75, "b": 0.375, "c": 0.25})
    assert [c for c, _, _ in fused] == ["a", "b", "c"]
    # a single candidate normalises to 1, an empty ranking adds nothing
    assert fuse([(Ranking.from_chunks([("x#0", "x", 3.0)]), 0.5), (Ranking(), 0.5)]) == [("x", 0.5, "x#0")]
    with pytest.raises(ValueError):
        fuse([(vec, 1.0)], method="magic")


def test_filters_validation_and_where():
    f = Filters.build(outcome="Won", industry="Medical-Devices", min_deal_size=1, max_deal_size="5")
    assert f.chroma_where() == {"$and": [{"outcome": "won"}, {"f_industry": "medical devices"},
                                         {"deal_size": {"$gte": 1.0}}, {"deal_size": {"$lte": 5.0}}]}
    assert Filters.build(outcome="lost").chroma_where() == {"outcome": "lost"}
    assert Filters.build(industry="").chroma_where() is None
    with pytest.raises(InputError, match="won' or 'lost"):
        Filters.build(outcome="pending")
    with pytest.raises(InputError, match="larger than"):
        Filters.build(min_deal_size=10, max_deal_size=1)
    with pytest.raises(InputError, match="must be a number"):
        Filters.build(min_deal_size="ten")
    with pytest.raises(InputError, match="unknown filter"):
        Filters.build(colour="red")


def test_tokenize_english_and_chinese():
    assert tokenize("The hospital's PRICES were too high") == ["hospit", "price", "high"]
    zh = tokenize("客户担心充电桩不足")
    assert {"客户", "担心", "充电", "不足"} <= set(zh)


def test_chunk_index_filters_match_metadata_semantics():
    idx = ChunkIndex.build([
        ("a#0", "price hospital", {"case_id": "a", "outcome": "won", "f_industry": "med", "deal_size": 10.0}, [1.0, 0.0]),
        ("b#0", "price retail", {"case_id": "b", "outcome": "lost", "f_industry": "retail"}, [0.6, 0.8]),
    ])
    assert {h.case_id for h in idx.bm25_search("price", 5)} == {"a", "b"}
    assert [h.case_id for h in idx.bm25_search("price", 5, Filters.build(outcome="lost"))] == ["b"]
    assert [h.case_id for h in idx.bm25_search("price", 5, Filters.build(min_deal_size=5))] == ["a"]
    assert idx.bm25_search("price", 5, Filters.build(industry="unknown")) == []
    assert idx.bm25_search("zzz", 5) == []
    q = np.array([0.0, 1.0], dtype=np.float32)
    assert [(h.case_id, round(h.score, 2)) for h in idx.vector_search(q, 5)] == [("b", 0.8), ("a", 0.0)]
    assert [h.case_id for h in idx.vector_search(q, 5, Filters.build(outcome="won"))] == ["a"]
    assert idx.vector_search(q, 5, Filters.build(max_deal_size=1)) == []


def test_chunk_index_cache_roundtrip(tmp_path):
    idx = ChunkIndex.build([("a#0", "price hospital", {"case_id": "a", "outcome": "won"}, [1.0, 0.0])])
    idx.save(tmp_path, "rev1")
    assert ChunkIndex.load(tmp_path, "rev2") is None
    again = ChunkIndex.load(tmp_path, "rev1")
    assert [h.chunk_id for h in again.bm25_search("hospitals", 3)] == ["a#0"]
    assert again.vectors.shape == (1, 2)


@pytest.mark.parametrize("mode", ["hybrid", "vector", "bm25"])
def test_filters_apply_in_every_mode(kb, mode):
    def ids(**f):
        return [h.id for h in kb.search("hospital price", mode=mode, **f)]

    assert set(ids(outcome="won")) <= {"renji", "fleet"}
    assert set(ids(outcome="lost", industry="medical devices")) <= {"huashan"}
    assert set(ids(region="guangzhou")) <= {"glow"}
    assert set(ids(min_deal_size=1_000_000)) <= {"renji"}
    assert set(ids(max_deal_size=100_000)) <= {"glow"}
    assert "renji" in ids(outcome="won")


def test_one_hit_per_case_with_fields(kb):
    hits = kb.search("hospital price service plan", k=10)
    assert len({h.id for h in hits}) == len(hits) == 4
    top = hits[0]
    assert top.id == "renji" and top.outcome == "won" and top.industry == "medical devices"
    assert top.metadata["deal_size"] == 3_600_000 and top.metadata["region"] == "Shanghai"
    assert "price" in top.snippet
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_chinese_query_finds_chinese_case(kb):
    assert kb.search("充电桩 不足", k=1, mode="bm25")[0].id == "fleet"
    assert kb.search("充电桩 不足", k=1)[0].id == "fleet"


def test_bad_arguments(kb):
    with pytest.raises(InputError, match="empty"):
        kb.search("   ")
    with pytest.raises(InputError, match="positive"):
        kb.search("price", k=0)
    with pytest.raises(InputError, match="mode"):
        kb.search("price", mode="magic")


def test_snippet_picks_matching_sentences():
    text = ("Intro sentence about the hospital. " * 8) + "The buyer said the price was far too high. " + ("Filler. " * 40)
    snip = best_snippet(text, "price too high", limit=120)
    assert snip.startswith("The buyer said the price") and len(snip) <= 121


@pytest.mark.parametrize("filters", [
    {"outcome": "won"}, {"industry": "medical devices"}, {"outcome": "lost", "region": "shanghai"},
    {"min_deal_size": 100_000}, {"max_deal_size": 1_000_000, "outcome": "lost"},
])
def test_in_memory_filtered_vector_search_agrees_with_chroma(kb, filters):
    f = Filters.build(**filters)
    v = kb.embedder.encode(["hospital price competitor"])[0]
    local = [(h.chunk_id, round(h.score, 4)) for h in kb._chunk_index().vector_search(v, 10, f)]
    chroma = [(r.id, round(1 - r.distance, 4)) for r in kb.store.query(v, 10, f.chroma_where(), kb.embedder.name)]
    assert local == chroma and local
