"""Turn a file into deal cases: Markdown case files, plain text, PDF, DOCX and CRM CSV.

Every failure is a domain error (coach.errors) with a message that says what is wrong
with *this* file; the ingester reports it and carries on with the others.

Metadata for documents that have no front matter (PDF, DOCX, TXT) comes from, in order:
front matter at the top of the extracted text, a sidecar ``<file>.meta.yaml`` (or
``<stem>.meta.yaml``) next to the file, a parent folder named ``won``/``lost`` (outcome),
the document title (title) and the file name (id).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.errors import (
    CorruptInputError,
    DependencyMissingError,
    EmptyInputError,
    TooLargeError,
    UnsupportedMediaError,
    ValidationFailed,
)
from retrieval.cases import OUTCOMES, REQUIRED_FIELDS, Case, build_case, parse_case_text, slugify, split_front_matter

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx", ".csv"}
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


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not is_sidecar(path)


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


def folder_outcome(path: Path) -> str | None:
    name = path.parent.name.casefold()
    return name if name in OUTCOMES else None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


# ---- per-format loaders --------------------------------------------------------------------
def load_markdown(path: Path, *, max_bytes: int) -> Case:
    text = read_text(path, max_bytes=max_bytes)
    return parse_case_text(text, source=str(path), defaults=read_sidecar(path) or None)


def document_case(text: str, path: Path, *, title_hint: str = "") -> Case:
    """A case from extracted document text plus the metadata sources of this module."""
    fields, body = split_front_matter(text)
    defaults: dict[str, Any] = {"id": slugify(path.stem), "title": title_hint or _first_line(body)}
    if (outcome := folder_outcome(path)) is not None:
        defaults["outcome"] = outcome
    defaults.update(read_sidecar(path))
    defaults.update(fields or {})
    try:
        return build_case(defaults, body, source=str(path))
    except ValidationFailed as exc:
        if any(f in exc.message for f in REQUIRED_FIELDS):
            exc.detail = (
                f"put the fields in a sidecar {path.name}.meta.yaml (id, title, industry, product, outcome, ...)"
                " or in front matter at the top of the text; outcome can also come from a won/ or lost/ folder"
            )
        raise


def load_txt(path: Path, *, max_bytes: int) -> Case:
    return document_case(read_text(path, max_bytes=max_bytes), path)


def load_pdf(path: Path, *, max_bytes: int) -> Case:
    data = read_bytes(path, max_bytes=max_bytes)
    if not data.lstrip()[:5] == b"%PDF-":
        raise CorruptInputError("not a PDF file (no %PDF header)")
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover
        raise DependencyMissingError("pypdf", "reading PDF files") from None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptInputError("PDF is password-protected; remove the password first")
        pages = [(page.extract_text() or "") for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except CorruptInputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise CorruptInputError(f"PDF cannot be read: {exc}") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise EmptyInputError(
            f"PDF has no extractable text ({len(pages)} page(s), scanned images?)",
            detail="run OCR on it first or provide the text as .txt/.md",
        )
    return document_case(text, path, title_hint=title)


def load_docx(path: Path, *, max_bytes: int) -> Case:
    data = read_bytes(path, max_bytes=max_bytes)
    if data[:2] != b"PK":
        raise CorruptInputError("not a DOCX file (not a zip package); legacy .doc must be saved as .docx")
    try:
        import docx
    except ImportError:  # pragma: no cover
        raise DependencyMissingError("python-docx", "reading DOCX files") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip/KeyError/ValueError variants
        raise CorruptInputError(f"DOCX cannot be read: {type(exc).__name__}: {exc}") from None
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if any(cells):
                parts.append(" | ".join(cells))
    text = "\n".join(parts)
    if not text.strip():
        raise EmptyInputError("DOCX has no text")
    return document_case(text, path, title_hint=(document.core_properties.title or "").strip())


def load_file(path: Path, *, max_bytes: int, csv_columns: dict[str, str] | None = None) -> LoadedFile:
    """Dispatch on the file type. File-level problems raise domain errors."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return LoadedFile(cases=[load_markdown(path, max_bytes=max_bytes)])
    if suffix == ".txt":
        return LoadedFile(cases=[load_txt(path, max_bytes=max_bytes)])
    if suffix == ".pdf":
        return LoadedFile(cases=[load_pdf(path, max_bytes=max_bytes)])
    if suffix == ".docx":
        return LoadedFile(cases=[load_docx(path, max_bytes=max_bytes)])
    if suffix == ".csv":
        from retrieval.crm_csv import load_crm_csv

        return load_crm_csv(path, max_bytes=max_bytes, columns=csv_columns)
    raise UnsupportedMediaError(
        f"unsupported file type {suffix or '(none)'}",
        detail="supported: " + ", ".join(sorted(SUPPORTED_SUFFIXES)),
    )
