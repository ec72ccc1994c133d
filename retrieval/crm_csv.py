"""CRM opportunity exports (CSV) -> one case per closed opportunity.

Columns are recognised by common header names of Salesforce, HubSpot and Chinese CRMs
(see ``ALIASES``); a sidecar ``<file>.meta.yaml`` or the CLI's ``--map field=Header`` can
name them explicitly, and a sidecar can give defaults (e.g. ``industry: retail``) and
extra stage names (``won_stages: [...]``, ``lost_stages: [...]``).

Won or lost comes from an ``outcome`` column when there is one, else from the stage
(``Closed Won``, ``赢单`` ...). Open opportunities are skipped (reported, not errors).
Every column of the row goes into the case body as ``Header: value`` so numbers such as
the amount can be verified against the case text.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path
from typing import Any

from retrieval.cases import build_case, norm_key, slugify
from retrieval.errors import EmptyInputError, InputError, ValidationFailed
from retrieval.files import LoadedFile, decode_text, read_bytes, read_sidecar

log = logging.getLogger(__name__)

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "opportunity id", "deal id", "record id", "opportunity number", "商机编号", "商机id", "编号"),
    "title": ("title", "opportunity name", "opportunity", "deal name", "deal", "name", "商机名称", "项目名称", "名称"),
    "customer": ("account name", "account", "company", "company name", "customer", "客户名称", "客户", "公司"),
    "stage": ("stage", "deal stage", "opportunity stage", "sales stage", "status", "阶段", "销售阶段", "状态"),
    "outcome": ("outcome", "result", "won/lost", "win/loss", "结果", "赢单/输单"),
    "deal_size": ("amount", "deal size", "deal value", "value", "opportunity amount", "金额", "合同金额", "商机金额"),
    "currency": ("currency", "opportunity currency", "currency code", "币种", "货币"),
    "industry": ("industry", "行业"),
    "product": ("product", "products", "product name", "product family", "产品", "产品名称"),
    "region": ("region", "territory", "billing state", "state", "country", "city", "区域", "地区", "省份", "城市"),
    "date": ("close date", "closed date", "date", "关闭日期", "成交日期", "日期"),
    "objections": ("objections", "objection", "异议"),
}
#: columns the case format needs; industry/product may come from sidecar defaults
REQUIRED = ("title", "stage|outcome", "industry", "product")
WON_RE = re.compile(r"closed[\s_-]*won|^won$|^win$|赢单|成交|签约|已赢")
LOST_RE = re.compile(r"closed[\s_-]*lost|^lost$|^loss$|输单|丢单|失败|已输")


def _header_key(h: str) -> str:
    return norm_key(h.replace("_", " ").replace("\ufeff", ""))


def map_columns(headers: list[str], explicit: dict[str, str]) -> dict[str, str]:
    """field -> header actually present. Explicit names must exist."""
    by_key = {_header_key(h): h for h in headers}
    mapping: dict[str, str] = {}
    for fld, header in explicit.items():
        if fld not in ALIASES:
            raise InputError(f"unknown case field {fld!r} in the column map", detail="fields: " + ", ".join(ALIASES))
        actual = by_key.get(_header_key(header))
        if actual is None:
            raise ValidationFailed(
                f"column {header!r} (mapped to {fld}) is not in the CSV", detail="columns: " + ", ".join(headers)
            )
        mapping[fld] = actual
    for fld, aliases in ALIASES.items():
        if fld not in mapping:
            for alias in aliases:
                if alias in by_key and by_key[alias] not in mapping.values():
                    mapping[fld] = by_key[alias]
                    break
    return mapping


def stage_outcome(value: str, won: set[str], lost: set[str]) -> str | None:
    v = norm_key(value)
    if v in won or WON_RE.search(v):
        return "won"
    if v in lost or LOST_RE.search(v):
        return "lost"
    return None


def _sniff(text: str) -> csv.Dialect | type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def load_crm_csv(path: Path, *, max_bytes: int, columns: dict[str, str] | None = None) -> LoadedFile:
    text = decode_text(read_bytes(path, max_bytes=max_bytes))
    if not text.strip():
        raise EmptyInputError("CSV has no text")
    side = read_sidecar(path)
    explicit = dict(side.get("columns") or {})
    explicit.update(columns or {})
    won = {norm_key(s) for s in side.get("won_stages") or []}
    lost = {norm_key(s) for s in side.get("lost_stages") or []}
    defaults = {k: v for k, v in side.items() if k in ALIASES and k not in ("id", "title", "stage")}

    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_sniff(text))
    headers = [h for h in (reader.fieldnames or []) if h is not None]
    if not headers:
        raise EmptyInputError("CSV has no header row")
    mapping = map_columns(headers, explicit)
    missing = [
        need
        for need in REQUIRED
        if not any(alt in mapping or alt in defaults for alt in need.split("|"))
    ]
    if missing:
        raise ValidationFailed(
            "CSV is missing required column(s): " + ", ".join(m.replace("|", " or ") for m in missing),
            detail="found columns: " + ", ".join(headers) + "; map them with a sidecar 'columns:' or --map field=Header",
        )

    result = LoadedFile()
    seen: dict[str, int] = {}
    stem = slugify(path.stem, fallback="crm")
    for line_no, row in enumerate(reader, start=2):
        where = f"{path}#row{line_no}"
        values = {k: (v or "").strip() for k, v in row.items() if k is not None and isinstance(v, str)}
        if not any(values.values()):
            continue
        fields: dict[str, Any] = dict(defaults)
        for fld, header in mapping.items():
            if values.get(header):
                fields[fld] = values[header]
        stage = fields.pop("stage", "")
        if fields.get("outcome"):
            outcome = stage_outcome(fields["outcome"], won, lost)
            if outcome is None:
                result.errors.append((where, f"unknown outcome {fields['outcome']!r} (expected won or lost)"))
                continue
        else:
            outcome = stage_outcome(stage, won, lost)
            if outcome is None:
                result.skipped.append((where, f"open stage {stage!r} (only closed won/lost deals become cases)"))
                continue
        fields["outcome"] = outcome
        fields["id"] = f"crm-{slugify(fields['id'])}" if fields.get("id") else f"{stem}-row{line_no}"
        body = "\n".join(f"{h}: {v}" for h, v in values.items() if v)
        try:
            case = build_case(fields, body, source=where)
        except ValidationFailed as exc:
            result.errors.append((where, exc.message))
            continue
        if case.id in seen:
            result.errors.append((where, f"duplicate case id {case.id!r} (first in row {seen[case.id]}); row skipped"))
            continue
        seen[case.id] = line_no
        result.cases.append(case)
    if not result.cases and not result.errors and not result.skipped:
        raise EmptyInputError("CSV has a header but no data rows")
    return result
