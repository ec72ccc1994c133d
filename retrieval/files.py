"""Reading a file the knowledge base was given: size limit and empty check, text-encoding
detection (GBK, UTF-16, ...), and the sidecar ``<file>.meta.yaml`` metadata. Shared by the
document loaders (:mod:`retrieval.loaders`) and the CRM CSV loader (:mod:`retrieval.crm_csv`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrieval.cases import Case
from retrieval.errors import (
    CorruptInputError,
    DependencyMissingError,
    EmptyInputError,
    TooLargeError,
    UnsupportedMediaError,
    ValidationFailed,
)

log = logging.getLogger(__name__)

SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class LoadedFile:
    """What one file yielded: cases, per-row errors (CSV) and skipped rows (open deals)."""

    cases: list[Case] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(SIDECAR_SUFFIXES)


# ---- bytes -> text ---------------------------------------------------------------------
def read_bytes(path: Path, *, max_bytes: int) -> bytes:
    """Read a file with the size limit and the empty check applied first."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorruptInputError(f"cannot read file: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise TooLargeError(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit",
            detail="raise SALESCOACH_RETRIEVAL__MAX_FILE_MB or split the file",
        )
    if size == 0:
        raise EmptyInputError("file is empty")
    return path.read_bytes()


def decode_text(data: bytes) -> str:
    """Decode text of unknown encoding: BOMs, UTF-8, GB18030/GBK (Chinese exports),
    then charset-normalizer's best guess. Binary data is rejected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise CorruptInputError("file has a UTF-16 byte-order mark but is not valid UTF-16") from None
    if b"\x00" in data[:8192]:
        raise UnsupportedMediaError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        non_ascii = [c for c in text if ord(c) > 127]
        if non_ascii and sum(bool(_CJK_RE.match(c)) for c in non_ascii) >= 0.6 * len(non_ascii):
            log.debug("decoded as GB18030")
            return text
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - transitive dependency of requests
        raise DependencyMissingError("charset-normalizer", "detecting text encodings") from None
    best = from_bytes(data).best()
    if best is None:
        raise UnsupportedMediaError("cannot detect the text encoding (binary file?); save it as UTF-8")
    log.debug("decoded as %s", best.encoding)
    return str(best)


def read_text(path: Path, *, max_bytes: int) -> str:
    text = decode_text(read_bytes(path, max_bytes=max_bytes))
    if not text.strip():
        raise EmptyInputError("file has no text (only whitespace)")
    return text


# ---- metadata sources ------------------------------------------------------------------
def sidecar_path(path: Path) -> Path | None:
    for name in (path.name, path.stem):
        for suffix in SIDECAR_SUFFIXES:
            candidate = path.with_name(name + suffix)
            if candidate.is_file():
                return candidate
    return None


def read_sidecar(path: Path) -> dict[str, Any]:
    """Fields from the sidecar metadata file of ``path`` ({} when there is none)."""
    import yaml

    side = sidecar_path(path)
    if side is None:
        return {}
    try:
        data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"sidecar {side.name} is not valid UTF-8 YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationFailed(f"sidecar {side.name} must be a YAML mapping of fields")
    return data
