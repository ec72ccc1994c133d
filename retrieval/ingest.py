"""One ingestion run: scan paths, skip unchanged files, load changed ones, embed in
batches across files, upsert, record in the manifest, remove what disappeared.

Rules:
- a file that fails keeps its previous version in the index (nothing is lost);
- a case id already defined by another file is reported for the later file, the first
  definition is kept;
- within a changed file, cases whose content did not change are not re-embedded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.errors import RetrievalError
from retrieval.cases import Case, content_hash
from retrieval.files import is_sidecar
from retrieval.loaders import is_supported, load_file
from retrieval.manifest import FileEntry, Manifest, file_sha256

if TYPE_CHECKING:  # pragma: no cover
    from retrieval.kb import KnowledgeBase

log = logging.getLogger(__name__)
FLUSH_CHUNKS = 256


@dataclass
class IngestReport:
    """Counts are of cases. ``errors``: (path, reason) per file or CSV row that did not
    go in; ``skipped``: things deliberately left out (unsupported types, open deals)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0

    @property
    def ingested(self) -> int:
        return self.added + self.updated

    def to_json(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed,
            "chunks": self.chunks, "files": self.files,
            "errors": [{"path": p, "reason": r} for p, r in self.errors],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
        }


def _message(exc: RetrievalError) -> str:
    return f"{exc.message} ({exc.detail})" if exc.detail else exc.message


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(root).parts)


class Ingester:
    def __init__(self, kb: "KnowledgeBase", manifest: Manifest, *, csv_columns: dict[str, str] | None = None) -> None:
        self.kb = kb
        self.manifest = manifest
        self.csv_columns = csv_columns
        self.report = IngestReport()
        self.changed = False
        self._owner = manifest.owner_of()
        self._pending: list[tuple[str, FileEntry, list[Case], list[str]]] = []
        self._pending_chunks = 0

    def run(self, paths: list[Path], *, on_progress: Callable[[str, float], None] | None = None) -> IngestReport:
        files = self._scan(paths)
        self.report.files = len(files)
        try:
            for i, path in enumerate(files):
                self._one(path)
                if self._pending_chunks >= FLUSH_CHUNKS:
                    self._flush()
                if on_progress:
                    on_progress("ingest", (i + 1) / len(files))
            self._flush()
        finally:
            self.manifest.save()
        return self.report

    # ---- scanning & removal -----------------------------------------------------------------
    def _scan(self, paths: list[Path]) -> list[Path]:
        files: list[Path] = []
        for raw in paths:
            path = raw.expanduser().resolve()
            if not path.exists():
                self.report.errors.append((str(raw), "not found"))
            elif path.is_dir():
                found = []
                for f in sorted(path.rglob("*")):
                    if not f.is_file() or _hidden(f, path) or is_sidecar(f):
                        continue
                    if is_supported(f):
                        found.append(f)
                    else:
                        self.report.skipped.append((str(f), f"unsupported file type {f.suffix or '(none)'}"))
                self.manifest.roots.add(str(path))
                present = {str(f) for f in found}
                for gone in self.manifest.files_under(path):
                    if gone not in present and not os.path.exists(gone):
                        self._remove_file(gone)
                files.extend(found)
            elif is_supported(path):
                files.append(path)
            else:
                self.report.errors.append((str(path), f"unsupported file type {path.suffix or '(none)'}"))
        return list(dict.fromkeys(files))

    def _remove_file(self, path: str) -> None:
        entry = self.manifest.files.pop(path)
        mine = [c for c in entry.case_ids if self._owner.get(c) == path]
        self.report.removed += self.kb.store.delete_cases(mine, self.kb.embedder.name)
        for c in mine:
            self._owner.pop(c, None)
        self.changed = True
        log.info("removed %d case(s) of deleted file %s", len(mine), path)

    # ---- one file ----------------------------------------------------------------------------
    def _one(self, path: Path) -> None:
        key = str(path)
        old = self.manifest.files.get(key)
        try:
            sha = file_sha256(path)
        except OSError as exc:
            self.report.errors.append((key, f"cannot read file: {exc.strerror or exc}"))
            return
        if old is not None and old.sha256 == sha:
            self.report.unchanged += len(old.case_ids)
            self.report.errors.extend((p, f"{r} (unchanged since the last ingest)") for p, r in old.errors)
            return
        try:
            loaded = load_file(path, max_bytes=self.kb.max_bytes, csv_columns=self.csv_columns)
        except RetrievalError as exc:
            self.report.errors.append((key, _message(exc) + ("; the previous version is kept" if old else "")))
            return
        except Exception as exc:  # a library failing on a malformed file must not stop the run
            log.exception("unexpected failure loading %s", path)
            self.report.errors.append((key, f"cannot load file: {type(exc).__name__}: {exc}"))
            return
        errors = list(loaded.errors)
        self.report.skipped.extend(loaded.skipped)
        cases: list[Case] = []
        for case in loaded.cases:
            owner = self._owner.get(case.id)
            if owner is not None and owner != key:
                errors.append((case.source or key, f"duplicate case id {case.id!r}: already defined by {owner}; kept that one"))
                continue
            cases.append(case)
        self.report.errors.extend(errors)
        if not cases:
            if not errors and not loaded.skipped:
                self.report.errors.append((key, "no cases found in file"))
                return
            if errors:
                if old is not None:
                    self.report.errors.append((key, "no valid case left in the file; the previous version is kept"))
                return
        stale = [c for c in (old.case_ids if old else []) if c not in {x.id for x in cases} and self._owner.get(c) == key]
        for c in cases:
            self._owner[c.id] = key
        entry = FileEntry(sha, [c.id for c in cases], errors)
        self._pending.append((key, entry, cases, stale))
        self._pending_chunks += sum(max(1, len(c.body) // max(1, self.kb.settings.chunk_size)) for c in cases)

    def _flush(self) -> None:
        if not self._pending:
            return
        all_cases = [c for _, _, cases, _ in self._pending for c in cases]
        known = self.kb.store.case_hashes([c.id for c in all_cases], self.kb.embedder.name)
        todo: list[Case] = []
        for key, entry, cases, _ in self._pending:
            for c in list(cases):
                if c.id in known and _foreign(known[c.id][1], key):
                    self.report.errors.append(
                        (c.source or key, f"duplicate case id {c.id!r}: already in the knowledge base from {known[c.id][1]}; kept that one")
                    )
                    cases.remove(c)
                    entry.case_ids.remove(c.id)
                    self._owner.pop(c.id, None)
                elif c.id not in known or known[c.id][0] != content_hash(c):
                    todo.append(c)
        self.report.chunks += self.kb.write_cases(todo)
        todo_ids = {c.id for c in todo}
        for key, entry, cases, stale in self._pending:
            for c in cases:
                if c.id not in todo_ids:
                    self.report.unchanged += 1
                elif c.id in known:
                    self.report.updated += 1
                else:
                    self.report.added += 1
            if stale:
                self.report.removed += self.kb.store.delete_cases(stale, self.kb.embedder.name)
                for c in stale:
                    self._owner.pop(c, None)
            self.manifest.files[key] = entry
        self.changed = self.changed or bool(todo) or any(stale for *_, stale in self._pending)
        self._pending.clear()
        self._pending_chunks = 0
        self.manifest.save()


def _foreign(source: str, key: str) -> bool:
    """Does a stored case with this source belong to something other than file ``key``?
    (a promoted call, or another file that still exists)."""
    if source == key or source.startswith(key + "#row"):
        return False
    if source.startswith("call:"):
        return True
    base = source.split("#row", 1)[0]
    return bool(base) and os.path.exists(base)
