"""The knowledge base with the REAL bundled MiniLM on a small real case set (14 cases of
the shipped sample knowledge base, 4 in Chinese): the right case comes first for natural
queries in English and Chinese, filters hold, and re-ingesting after editing one file
re-embeds only that file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retrieval.settings import RetrievalSettings
from retrieval.embeddings import build_embedder
from retrieval.kb import KnowledgeBase

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FILES = [
    "med-eastbank-portascan-2025", "med-qinhuai-clearview-2024", "med-riverside-vitalink-2025",
    "med-zh-chuanxi-vitalink-2024", "nev-northstar-chargegrid-2024", "nev-metrocab-chargegrid-2025",
    "nev-zh-rongcheng-voltrun-2025", "beauty-aurora-lumaskin-2024", "beauty-petalhouse-lumaskin-2025",
    "food-urbancrust-harvest-2025", "food-zh-bashu-coldlink-2025", "sw-granite-ledgerline-2024",
    "sw-zh-yunfan-pulsedesk-2024", "ind-pinecrest-senseguard-2024",
]
QUERIES = [
    ("Hospital emergency department wants portable ultrasound but says the competitor is 20% cheaper", "med-eastbank-portascan-2025"),
    ("bus depot chargers and cold weather concerns", "nev-northstar-chargegrid-2024"),
    ("construction company ERP, worried about integration and switching cost", "sw-granite-ledgerline-2024"),
    ("department store worried about customer data privacy with skin analysers", "beauty-aurora-lumaskin-2024"),
    ("火锅连锁的冷链配送，客户原来用别的供应商", "food-zh-bashu-coldlink-2025"),
    ("县医院监护仪项目预算冻结，对手低价竞争", "med-zh-chuanxi-vitalink-2024"),
    ("客户担心电动物流车的电池安全", "nev-zh-rongcheng-voltrun-2025"),
    ("客服系统缺少投资回报论证", "sw-zh-yunfan-pulsedesk-2024"),
]


class CountingEmbedder:
    """The real embedder, recording what it was asked to embed."""

    def __init__(self) -> None:
        self.inner = build_embedder("")
        self.name = self.inner.name
        self.texts: list[str] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts, *, batch_size=32):
        self.texts.extend(texts)
        return self.inner.encode(texts, batch_size=batch_size)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("kb-real")
    folder = root / "cases"
    folder.mkdir()
    for name in FILES:
        shutil.copy(REPO / "knowledge" / "cases" / f"{name}.md", folder)
    embedder = CountingEmbedder()
    kb = KnowledgeBase(RetrievalSettings(), data_dir=root / "data", embedder=embedder)
    report = kb.ingest([folder])
    assert report.errors == [] and report.added == len(FILES)
    return kb, folder, embedder


@pytest.mark.parametrize("query,expected", QUERIES, ids=[e for _, e in QUERIES])
def test_right_case_first(setup, query, expected):
    kb, _, _ = setup
    hits = kb.search(query, k=5)
    assert hits[0].id == expected, [h.id for h in hits]
    assert hits[0].snippet and len({h.id for h in hits}) == len(hits)


def test_filters(setup):
    kb, _, _ = setup
    lost = kb.search("hospital price objection", k=10, outcome="lost")
    assert lost and all(h.outcome == "lost" for h in lost)
    assert {h.id for h in lost} >= {"med-qinhuai-clearview-2024"}
    med_won = kb.search("hospital price objection", k=10, outcome="won", industry="medical devices")
    assert {h.id for h in med_won} == {"med-eastbank-portascan-2025", "med-riverside-vitalink-2025"}
    big = kb.search("electric vehicles", k=10, min_deal_size=3_000_000)
    assert big and all(h.metadata["deal_size"] >= 3_000_000 for h in big)
    for mode in ("vector", "bm25"):
        assert all(h.outcome == "won" for h in kb.search("chargers", k=10, outcome="won", mode=mode))


def test_get_case_has_the_full_text(setup):
    kb, folder, _ = setup
    case = kb.get_case("med-eastbank-portascan-2025")
    source = (folder / "med-eastbank-portascan-2025.md").read_text(encoding="utf-8")
    assert case.body and case.body in source and "26 minutes" in case.body
    assert case.deal_size == 1_850_000 and case.outcome == "won"


def test_reingest_embeds_only_the_changed_file(setup):
    kb, folder, embedder = setup
    path = folder / "food-urbancrust-harvest-2025.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nFollow-up: the chain added 14 new cafés in 2026.\n", encoding="utf-8")
    embedder.texts.clear()
    report = kb.ingest([folder])
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, len(FILES) - 1, 0)
    title = kb.get_case("food-urbancrust-harvest-2025").title
    assert embedder.texts and all(t.startswith(title) for t in embedder.texts)
    assert report.chunks == len(embedder.texts)
    assert kb.search("bakery cafe chain opened 14 new cafés", k=1)[0].id == "food-urbancrust-harvest-2025"
