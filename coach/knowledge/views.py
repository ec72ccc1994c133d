"""Knowledge base as seen by the API and UI: search, case lookup, admin ingestion of
uploaded case/persona/rubric files (errors reported per file, nothing half-ingested)."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import DOMAIN_ERRORS, InputError, UnsupportedMediaError
from coach.auth.permissions import Principal, require_role

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)

KNOWLEDGE_KINDS = {"cases": (".md", ".markdown", ".txt", ".pdf", ".docx"), "personas": (".yaml", ".yml"), "rubrics": (".yaml", ".yml")}


def to_plain(obj: Any) -> Any:
    """dataclass / pydantic / plain object -> JSON-friendly dict."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "__dict__"):
        return {k: to_plain(v) for k, v in vars(obj).items() if not k.startswith("_")}
    return str(obj)


def search_cases(
    services: "Services", query: str, *, k: int = 5, outcome: str | None = None, industry: str | None = None
) -> list[dict[str, Any]]:
    query = (query or "").strip()
    if not query:
        raise InputError("the search query is empty")
    hits = services.kb.search(query, k=k, outcome=outcome, industry=industry or None)
    out = []
    for h in hits:
        d = to_plain(h)
        if isinstance(d.get("score"), float):
            d["score"] = round(d["score"], 4)
        out.append(d)
    return out


def get_case(services: "Services", case_id: str) -> dict[str, Any]:
    return to_plain(services.kb.get_case(case_id))  # NotFoundError from the KB


def ingest_uploads(services: "Services", principal: Principal, kind: str, files: list[tuple[str, Path]]) -> dict[str, Any]:
    """Admins: copy uploaded knowledge files into knowledge_dir/<kind>/ and ingest cases.

    Personas and rubrics are validated by the role-play module's loader when present.
    Returns ``{kind, saved [names], report (IngestReport for cases), errors [{file, error}]}``.
    """
    require_role(principal, "admin")
    if kind not in KNOWLEDGE_KINDS:
        raise InputError(f"unknown knowledge kind {kind!r}", detail=f"one of {', '.join(KNOWLEDGE_KINDS)}")
    if not files:
        raise InputError("no files uploaded")
    target = Path(services.settings.knowledge_dir) / kind
    target.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    errors: list[dict[str, str]] = []
    for name, src in files:
        name = Path(name).name
        if Path(name).suffix.lower() not in KNOWLEDGE_KINDS[kind]:
            errors.append({"file": name, "error": str(UnsupportedMediaError(f"{name}: {kind} must be {', '.join(KNOWLEDGE_KINDS[kind])}"))})
            continue
        if src.stat().st_size == 0:
            errors.append({"file": name, "error": f"{name} is empty"})
            continue
        problem = _validate(kind, src, name)
        if problem:
            errors.append({"file": name, "error": problem})
            continue
        dest = target / name
        shutil.copyfile(src, dest)
        saved.append(dest)
    report: dict[str, Any] | None = None
    if kind == "cases" and saved:
        rep = to_plain(services.kb.ingest(saved))
        report = rep
        for err in rep.get("errors") or []:
            errors.append(err if isinstance(err, dict) else {"file": "", "error": str(err)})
    log.info("admin %s uploaded %d %s file(s), %d error(s)", principal.username, len(saved), kind, len(errors))
    return {"kind": kind, "saved": [p.name for p in saved], "report": report, "errors": errors}


def _validate(kind: str, path: Path, name: str) -> str | None:
    """A schema problem of a persona/rubric file (the role-play loaders' message), or None."""
    if kind == "cases":
        return None
    try:
        from coach.roleplay.personas import parse_persona, read_yaml
        from coach.roleplay.scoring import parse_rubric
    except ImportError:
        return None  # role-play not installed: stored as is, validated when it is
    try:
        data = read_yaml(path)
        if kind == "personas":
            parse_persona(data, name)
        else:
            parse_rubric(data, name)
    except DOMAIN_ERRORS as exc:
        return str(exc)
    return None
