"""Turn a file into deal cases: Markdown case files, plain text, PDF, DOCX and CRM CSV.

Every failure is a domain error (:mod:`retrieval.errors`) with a message that says what is wrong
with *this* file; the ingester reports it and carries on with the others.

Metadata for documents that have no front matter (PDF, DOCX, TXT) comes from, in order:
front matter at the top of the extracted text, a sidecar ``<file>.meta.yaml`` (or
``<stem>.meta.yaml``) next to the file, a parent folder named ``won``/``lost`` (outcome),
the document title (title) and the file name (id).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from retrieval.cases import OUTCOMES, REQUIRED_FIELDS, Case, build_case, parse_case_text, slugify, split_front_matter
from retrieval.crm_csv import load_crm_csv
from retrieval.errors import (
    CorruptInputError,
    DependencyMissingError,
    EmptyInputError,
    TooLargeError,
    UnsupportedMediaError,
    ValidationFailed,
)
from retrieval.files import LoadedFile, is_sidecar, read_bytes, read_sidecar, read_text

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx", ".csv"}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not is_sidecar(path)


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


#: a case document is a few pages; these caps stop PDF page bombs and DOCX zip bombs
MAX_PDF_PAGES = 300
MAX_DOCX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_DOCX_RATIO = 200


def _check_zip(data: bytes) -> None:
    """Refuse a DOCX whose parts would expand beyond the caps (checked from the zip index,
    before anything is inflated)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CorruptInputError(f"DOCX cannot be read: {exc}") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_DOCX_UNCOMPRESSED or (total > 1024 * 1024 and total / packed > MAX_DOCX_RATIO):
        raise TooLargeError(
            f"DOCX expands to {total / 1e6:.0f} MB ({total / packed:.0f}x its size); "
            f"at most {MAX_DOCX_UNCOMPRESSED // (1024 * 1024)} MB is accepted"
        )


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
        if len(reader.pages) > MAX_PDF_PAGES:
            raise TooLargeError(f"PDF has {len(reader.pages)} pages; a case document may have at most {MAX_PDF_PAGES}")
        pages = [(page.extract_text() or "") for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except (CorruptInputError, TooLargeError):
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
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
    _check_zip(data)
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
        return load_crm_csv(path, max_bytes=max_bytes, columns=csv_columns)
    raise UnsupportedMediaError(
        f"unsupported file type {suffix or '(none)'}",
        detail="supported: " + ", ".join(sorted(SUPPORTED_SUFFIXES)),
    )
