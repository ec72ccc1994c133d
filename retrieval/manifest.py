"""What was ingested from where: file path -> content hash and the case ids it produced.

Incremental re-ingest compares a file's SHA-256 with the manifest: unchanged files are
not parsed or embedded again; files gone from a previously ingested directory have
their cases removed. Written atomically (temp file + rename) after every flush, so a
crash mid-ingest loses at most the files not yet flushed (they are redone next time).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
VERSION = 1


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class FileEntry:
    sha256: str
    case_ids: list[str] = field(default_factory=list)
    #: per-row problems of a partly ingested file (CSV), re-reported while it is unchanged
    errors: list[tuple[str, str]] = field(default_factory=list)


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: dict[str, FileEntry] = {}
        self.roots: set[str] = set()
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("version") == VERSION:
                    self.files = {
                        k: FileEntry(v["sha256"], list(v["case_ids"]), [tuple(e) for e in v.get("errors", [])])
                        for k, v in data["files"].items()
                    }
                    self.roots = set(data.get("roots", []))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring unreadable KB manifest %s (%s); every file will be re-ingested", path, exc)

    def owner_of(self) -> dict[str, str]:
        """case id -> file path that defines it."""
        return {cid: path for path, entry in self.files.items() for cid in entry.case_ids}

    def files_under(self, root: Path) -> list[str]:
        prefix = str(root).rstrip(os.sep) + os.sep
        return [p for p in self.files if p.startswith(prefix)]

    def forget_cases(self, case_ids: set[str]) -> None:
        """Cases removed by hand: drop them; their files count as changed next time."""
        for entry in self.files.values():
            if case_ids & set(entry.case_ids):
                entry.case_ids = [c for c in entry.case_ids if c not in case_ids]
                entry.sha256 = ""

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {"version": VERSION, "roots": sorted(self.roots), "files": {k: asdict(v) for k, v in sorted(self.files.items())}}
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
