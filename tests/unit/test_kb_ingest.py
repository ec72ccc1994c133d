"""Ingestion: incremental by content hash, removals, duplicates, per-file errors with
nothing else lost. Uses the hashing embedder (fast, deterministic) and a real Chroma."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval.errors import InputError, NotFoundError
from retrieval.settings import RetrievalSettings
from retrieval.cases import parse_case_text
from retrieval.embeddings import HashingEmbedder
from retrieval.kb import KnowledgeBase

CASE = """---
id: {id}
title: {title}
industry: {industry}
product: {product}
outcome: {outcome}
{extra}---
{body}
"""


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(64)
        self.texts: list[str] = []

    def encode(self, texts, *, batch_size=32):
        self.texts.extend(texts)
        return super().encode(texts, batch_size=batch_size)


def write_case(folder: Path, name: str, **kw) -> Path:
    fields = {"industry": "medical devices", "product": "ultrasound", "outcome": "won", "extra": "", "body": "Body."} | kw
    fields.setdefault("title", fields["id"].title())
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(CASE.format(**fields), encoding="utf-8")
    return p


@pytest.fixture
def kb(tmp_path):
    return KnowledgeBase(RetrievalSettings(chunk_size=200, chunk_overlap=20), data_dir=tmp_path / "data", embedder=CountingEmbedder())


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "cases"
    write_case(d, "a.md", id="alpha", body="The hospital pushed back on price; a 3-year service plan won it.")
    write_case(d, "b.md", id="beta", outcome="lost", industry="beauty retail", product="CRM",
               body="The beauty chain chose a cheaper competitor.")
    write_case(d, "sub/c.md", id="gamma", industry="new energy vehicles", product="fleet",
               extra="deal_size: 800000\n", body="客户担心充电桩不足。我们提供了充电网络方案。")
    return d


def test_ingest_then_unchanged_then_changed_only(kb, corpus):
    r1 = kb.ingest([corpus])
    assert (r1.added, r1.updated, r1.unchanged, r1.removed, r1.errors) == (3, 0, 0, 0, [])
    assert r1.chunks == len(kb.embedder.texts) >= 3

    kb.embedder.texts.clear()
    r2 = kb.ingest([corpus])
    assert (r2.added, r2.updated, r2.unchanged, r2.chunks) == (0, 0, 3, 0)
    assert kb.embedder.texts == []

    write_case(corpus, "b.md", id="beta", outcome="lost", industry="beauty retail", product="CRM",
               body="The beauty chain chose a cheaper competitor after a 20% discount request.")
    r3 = kb.ingest([corpus])
    assert (r3.added, r3.updated, r3.unchanged) == (0, 1, 2)
    assert kb.embedder.texts and all("beauty chain" in t for t in kb.embedder.texts)
    assert "20% discount" in kb.get_case("beta").body


def test_deleted_file_is_removed_and_touching_a_file_does_not_reembed(kb, corpus):
    kb.ingest([corpus])
    (corpus / "sub" / "c.md").unlink()
    r = kb.ingest([corpus])
    assert r.removed == 1 and not kb.has_case("gamma") and kb.has_case("alpha")
    assert "gamma" not in [h.id for h in kb.search("充电桩")]
    assert kb.search("充电桩", mode="bm25") == []
    os.utime(corpus / "a.md", (1, 1))
    kb.embedder.texts.clear()
    assert kb.ingest([corpus]).unchanged == 2 and kb.embedder.texts == []


def test_case_id_renamed_inside_file_removes_old_id(kb, corpus):
    kb.ingest([corpus])
    write_case(corpus, "a.md", id="alpha2", body="Renamed.")
    r = kb.ingest([corpus])
    assert (r.added, r.removed) == (1, 1)
    assert kb.has_case("alpha2") and not kb.has_case("alpha")


def test_duplicate_ids_first_kept_second_reported(kb, corpus):
    write_case(corpus, "z_dup.md", id="alpha", body="Impostor text.")
    r = kb.ingest([corpus])
    assert r.added == 3
    [(path, reason)] = r.errors
    assert path.endswith("z_dup.md") and "duplicate case id 'alpha'" in reason and "a.md" in reason
    assert "price" in kb.get_case("alpha").body
    # the duplicate stays reported while the file is unchanged
    r2 = kb.ingest([corpus])
    assert any("duplicate" in reason for _, reason in r2.errors)


def test_bad_files_reported_rest_goes_in(kb, corpus):
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "bin.md").write_bytes(b"\x00\x01\x02binary")
    (corpus / "nofm.md").write_text("just text")
    write_case(corpus, "outcome.md", id="delta", outcome="stalled")
    (corpus / "picture.png").write_bytes(b"\x89PNG")
    r = kb.ingest([corpus, corpus / "missing.md"])
    assert r.added == 3
    reasons = {Path(p).name: why for p, why in r.errors}
    assert "empty" in reasons["empty.md"]
    assert "binary" in reasons["bin.md"]
    assert "missing front matter" in reasons["nofm.md"]
    assert "outcome must be 'won' or 'lost'" in reasons["outcome.md"]
    assert reasons["missing.md"] == "not found"
    assert [Path(p).name for p, _ in r.skipped] == ["picture.png"]


def test_broken_edit_keeps_previous_version(kb, corpus):
    kb.ingest([corpus])
    (corpus / "a.md").write_text("---\nid: alpha\n---\nbroken")
    r = kb.ingest([corpus])
    [(path, reason)] = r.errors
    assert path.endswith("a.md") and "previous version is kept" in reason
    assert "price" in kb.get_case("alpha").body
    write_case(corpus, "a.md", id="alpha", body="Fixed again.")
    assert kb.ingest([corpus]).updated == 1


def test_huge_file_reports_the_limit(tmp_path, corpus):
    kb = KnowledgeBase(RetrievalSettings(max_file_mb=0.001), data_dir=tmp_path / "d2", embedder=HashingEmbedder())
    write_case(corpus, "big.md", id="big", body="word " * 500)
    r = kb.ingest([corpus])
    assert r.added == 3
    assert any(p.endswith("big.md") and "over the 0.0 MB limit" in why for p, why in r.errors)


def test_add_case_remove_and_call_duplicate(kb, corpus):
    kb.ingest([corpus])
    case = parse_case_text(CASE.format(id="call-42", title="Call", industry="retail", product="POS",
                                       outcome="won", extra="", body="Rep: hello\nCustomer: price is high"), source="call:42")
    assert kb.add_case(case) >= 1
    with pytest.raises(InputError, match="already in the knowledge base"):
        kb.add_case(case)
    kb.add_case(case, replace=True)
    # a file reusing a promoted call's id is reported, the call case is kept
    write_case(corpus, "call.md", id="call-42", body="file text")
    r = kb.ingest([corpus])
    assert any("duplicate case id 'call-42'" in why for _, why in r.errors)
    assert "price is high" in kb.get_case("call-42").body
    assert kb.remove(["call-42", "nope"]) == 1
    with pytest.raises(NotFoundError):
        kb.get_case("call-42")
    # removing a file's case: re-ingesting the folder brings it back
    assert kb.remove(["alpha"]) == 1
    assert kb.ingest([corpus]).added >= 1 and kb.has_case("alpha")


def test_list_stats_and_filters(kb, corpus):
    kb.ingest([corpus])
    assert [c.id for c in kb.list_cases(outcome="won")] == ["alpha", "gamma"]
    assert [c.id for c in kb.list_cases(industry="Beauty-Retail")] == ["beta"]
    assert [c.id for c in kb.list_cases(min_deal_size=1)] == ["gamma"]
    stats = kb.stats()
    assert stats["cases"] == 3 and stats["chunks"] >= 3
    assert stats["by_outcome"] == {"won": 2, "lost": 1}
    assert stats["by_industry"]["beauty retail"] == 1
    assert stats["index_bytes"] > 0


def test_new_process_sees_index_and_model_change_reembeds(tmp_path, corpus):
    data = tmp_path / "data"
    KnowledgeBase(RetrievalSettings(), data_dir=data, embedder=HashingEmbedder(64)).ingest([corpus])
    again = KnowledgeBase(RetrievalSettings(), data_dir=data, embedder=HashingEmbedder(64))
    assert again.search("price hospital", k=1)[0].id == "alpha"
    other = KnowledgeBase(RetrievalSettings(), data_dir=data, embedder=HashingEmbedder(32))
    with pytest.raises(Exception, match="reindex"):
        other.search("price")
    assert other.reindex() >= 3
    assert other.search("price hospital", k=1)[0].id == "alpha"
    assert other.ingest([corpus]).unchanged == 3


def test_progress_callback(kb, corpus):
    seen = []
    kb.ingest([corpus], on_progress=lambda stage, f: seen.append((stage, f)))
    assert seen and seen[-1] == ("ingest", 1.0)


def test_bad_store_url_and_chunking_are_configuration_errors(tmp_path):
    from retrieval.errors import ConfigurationError

    kb = KnowledgeBase(RetrievalSettings(chroma_url="ftp://nowhere"), data_dir=tmp_path, embedder=HashingEmbedder())
    with pytest.raises(ConfigurationError, match="http"):
        kb.search("price")
    bad = KnowledgeBase(RetrievalSettings(chunk_size=100, chunk_overlap=200), data_dir=tmp_path / "b", embedder=HashingEmbedder())
    with pytest.raises(ConfigurationError, match="chunk_overlap"):
        bad.chunker


def test_gbk_markdown_case_and_csv_in_one_run(kb, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "zh.md").write_bytes(
        "---\nid: zh-1\ntitle: 车队采购\nindustry: 新能源汽车\nproduct: 电动车\noutcome: won\n---\n客户担心充电桩不足。\n".encode("gbk")
    )
    (folder / "crm.csv").write_text(
        "Opportunity ID,Opportunity Name,Stage,Industry,Product,Amount\n"
        "1,Clinic monitors,Closed Won,medical devices,monitor,1000\n"
        "2,Open deal,Prospecting,retail,pos,5\n",
        encoding="utf-8",
    )
    r = kb.ingest([folder])
    assert (r.added, r.errors) == (2, [])
    assert [why for _, why in r.skipped] == ["open stage 'Prospecting' (only closed won/lost deals become cases)"]
    assert kb.get_case("zh-1").body == "客户担心充电桩不足。"
    assert kb.get_case("crm-1").deal_size == 1000
