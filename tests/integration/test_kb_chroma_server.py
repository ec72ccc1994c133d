"""The knowledge base on a real Chroma server (``chroma run`` on loopback), as the
scale-out topology runs it: two replicas (two ``Services``, each with its own data dir,
one shared storage root) on the same server. Real bundled MiniLM, real sample cases."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from helpers.servers import start_chroma

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CASES = [
    "med-eastbank-portascan-2025", "med-qinhuai-clearview-2024", "med-riverside-vitalink-2025",
    "nev-northstar-chargegrid-2024", "sw-granite-ledgerline-2024", "food-urbancrust-harvest-2025",
]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma-server")
    server = start_chroma(root / "chroma", root / "chroma.log")
    try:
        yield server
    finally:
        server.stop()


def _services(root: Path, name: str, url: str):
    """A replica's services: its own data dir, the shared storage root, the server."""
    from coach.services import Services
    from coach.settings import Settings

    s = Settings.for_tests(root / name, storage_root=root / "shared")
    s.retrieval.chroma_url = url
    return Services(s)


def test_kb_on_a_chroma_server_ingest_search_filters_reingest(chroma, tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in CASES:
        shutil.copy(REPO / "knowledge" / "cases" / f"{name}.md", folder)
    from retrieval.kb import KnowledgeBase

    a = _services(tmp_path, "replica-a", chroma.url)
    sb = _services(tmp_path, "replica-b", chroma.url).settings
    # replica B: its own KB object and data dir, the model loaded once for the test
    kb_b = KnowledgeBase(sb.retrieval, data_dir=sb.storage_dir, chroma_dir=sb.chroma_dir, embedder=a.kb.embedder)

    report = a.kb.ingest([folder])
    assert report.errors == [] and report.added == len(CASES)
    assert a.kb.stats()["store"] == chroma.url and a.kb.stats()["cases"] == len(CASES)
    assert not (tmp_path / "replica-a" / "chroma").exists(), "nothing may go to an embedded store"

    # replica B reads what A wrote, from the server
    hits = kb_b.search("hospital emergency department portable ultrasound, competitor cheaper", k=3)
    assert hits[0].id == "med-eastbank-portascan-2025"
    lost = kb_b.search("hospital price objection", k=10, outcome="lost")
    assert lost and {h.outcome for h in lost} == {"lost"} and "med-qinhuai-clearview-2024" in {h.id for h in lost}
    med_won = kb_b.search("hospital price objection", k=10, outcome="won", industry="medical devices")
    assert {h.id for h in med_won} == {"med-eastbank-portascan-2025", "med-riverside-vitalink-2025"}

    # re-ingest on B (shared manifest): one edited file is updated, the rest unchanged
    path = folder / "food-urbancrust-harvest-2025.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nFollow-up: the chain opened 14 new cafes in 2026.\n", encoding="utf-8")
    again = kb_b.ingest([folder])
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 1, len(CASES) - 1, 0)
    # A's search index refreshes from the server's revision
    time.sleep(2.1)
    assert a.kb.search("bakery chain opened 14 new cafes", k=1)[0].id == "food-urbancrust-harvest-2025"
    # removing a file from the folder removes its case on the server
    (folder / "sw-granite-ledgerline-2024.md").unlink()
    gone = a.kb.ingest([folder])
    assert gone.removed == 1 and not kb_b.has_case("sw-granite-ledgerline-2024")
