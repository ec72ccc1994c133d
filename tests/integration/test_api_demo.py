"""`salescoach init --demo`: the four demo users log in with `<name>-demo`, the demo
accounts, cases and analysed calls are there with the right owners, and a second run
adds nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_knowledge(tmp_path):
    """The demo CSVs and users, two demo calls (one per rep) and three cases."""
    src = REPO / "knowledge"
    kdir = tmp_path / "knowledge"
    (kdir / "demo" / "calls").mkdir(parents=True)
    for f in (src / "demo").glob("*.csv"):
        shutil.copy(f, kdir / "demo" / f.name)
    picked = {}
    for meta in sorted((src / "demo" / "calls").glob("*.meta.yaml")):
        import yaml

        rep = yaml.safe_load(meta.read_text(encoding="utf-8")).get("rep")
        stem = meta.name[: -len(".meta.yaml")]
        if rep not in picked and (meta.parent / f"{stem}.txt").exists():
            picked[rep] = stem
            shutil.copy(meta, kdir / "demo" / "calls" / meta.name)
            shutil.copy(meta.parent / f"{stem}.txt", kdir / "demo" / "calls" / f"{stem}.txt")
    (kdir / "cases").mkdir()
    for f in sorted((src / "cases").glob("med-*.md"))[:3]:
        shutil.copy(f, kdir / "cases" / f.name)
    return kdir, picked


@pytest.mark.slow
def test_init_demo_seeds_everything_once(settings, small_knowledge):
    from fastapi.testclient import TestClient

    from coach.demo.seed import init_demo
    from coach.services import Services
    from ui.app import build_app

    kdir, picked = small_knowledge
    settings.knowledge_dir = kdir
    services = Services(settings)
    report = init_demo(services)
    assert report.errors == []
    assert sorted(report.users_created) == ["admin", "manager1", "rep1", "rep2"]
    assert report.accounts["created"]["accounts"] >= 2
    assert report.kb["added"] == 3
    assert len(report.calls_added) == len(picked) >= 2

    with TestClient(build_app(services, with_ui=False, start_jobs=False)) as client:
        tokens = {}
        for user, role in (("rep1", "rep"), ("rep2", "rep"), ("manager1", "manager"), ("admin", "admin")):
            r = client.post("/api/v1/auth/token", json={"username": user, "password": f"{user}-demo"})
            assert r.status_code == 200 and r.json()["user"]["role"] == role
            tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        mine = client.get("/api/v1/calls", headers=tokens["rep1"]).json()["items"]
        assert [c["user"] for c in mine] == ["rep1"] and mine[0]["status"] == "analyzed"
        assert mine[0]["account"] and mine[0]["outcome"] in ("won", "lost", "open")
        team = client.get("/api/v1/calls", headers=tokens["manager1"]).json()["items"]
        assert sorted(c["user"] for c in team) == ["rep1", "rep2"]
        detail = client.get(f"/api/v1/calls/{mine[0]['id']}", headers=tokens["rep1"]).json()
        roles = {u["role"] for u in detail["analysis"]["utterances"]}
        assert "rep" in roles and "customer" in roles  # rep_speaker from the meta file

    res = CliRunner().invoke(
        __import__("coach.cli", fromlist=["app"]).app,
        ["--data-dir", str(settings.data_dir), "init", "--demo", "--json"],
        env={"SALESCOACH_KNOWLEDGE_DIR": str(kdir)},
    )
    assert res.exit_code == 0, res.output
    again = json.loads(res.output[res.output.index("{"):])
    assert again["users_created"] == [] and again["calls_added"] == []
    assert again["calls_skipped"] == len(picked) and again["kb"]["added"] == 0
