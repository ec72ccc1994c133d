"""The deal case model and the case-file format (Markdown + YAML front matter).

A case file::

    ---
    id: renji-ultrasound-2023
    title: Renji Hospital buys 12 ultrasound systems
    industry: medical devices
    product: ultrasound
    outcome: won            # won | lost
    deal_size: 3600000      # optional, number (commas allowed)
    currency: CNY
    region: Shanghai
    customer: Renji Hospital
    objections: [price, service response time]
    tags: [tender, hospital]
    date: 2023-05-12
    ---
    Free text: profile, pains, objections and answers, proof points, quotes ...

Parsing never raises anything but :class:`retrieval.errors.ValidationFailed` (one message
that lists every problem), so the ingester can report it per file.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from retrieval.errors import ValidationFailed

Outcome = Literal["won", "lost"]
OUTCOMES: tuple[str, ...] = ("won", "lost")
REQUIRED_FIELDS: tuple[str, ...] = ("id", "title", "industry", "product", "outcome")
KNOWN_FIELDS: frozenset[str] = frozenset(
    {*REQUIRED_FIELDS, "deal_size", "currency", "region", "customer", "objections", "tags", "date"}
)
_ID_RE = re.compile(r"^[^\W_][\w.:-]{0,119}$")
_FRONT_MATTER_RE = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_NUMBER_RE = re.compile(r"^[-+]?\d+(?:\.\d+)?$")


def norm_key(value: str | None) -> str:
    """Normalised form of a filter value: case-folded, '-'/'_' as spaces, single spaces
    (so 'Medical Devices', 'medical-devices' and 'medical_devices' filter alike)."""
    return " ".join(re.sub(r"[-_]+", " ", str(value or "")).split()).casefold()


def slugify(text: str, *, fallback: str = "case") -> str:
    """An id-safe slug; keeps CJK characters (they are valid ids in Chroma)."""
    slug = re.sub(r"[^\w.-]+", "-", text.strip(), flags=re.U).strip("-._").lower()
    return slug[:100] or fallback


def parse_outcome(value: Any) -> str:
    """'Won', ' lost ' -> 'won'/'lost'; anything else is an error (no guessing)."""
    v = norm_key(value)
    if v not in OUTCOMES:
        raise ValueError(f"outcome must be 'won' or 'lost', got {value!r}")
    return v


def parse_amount(value: Any) -> float | None:
    """Numbers as int/float or strings like '1,200,000' / '1 200 000.50'."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"deal_size must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    cleaned = re.sub(r"[,\s\u00a0_]", "", str(value))
    if not _NUMBER_RE.match(cleaned):
        raise ValueError(f"deal_size must be a number, got {value!r}")
    return float(cleaned)


class Case(BaseModel):
    """A won or lost deal. ``body`` is the full free text (used to verify citations)."""

    id: str
    title: str
    industry: str
    product: str
    outcome: Outcome
    deal_size: float | None = Field(default=None, ge=0)
    currency: str = ""
    region: str = ""
    customer: str = ""
    objections: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    date: str = ""
    body: str = ""
    #: where it came from: a file path (with '#row N' for CSV rows) or 'call:<id>'
    source: str = ""
    #: unknown front-matter keys, kept verbatim
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        v = str(v).strip()
        if not _ID_RE.match(v):
            raise ValueError(
                f"id {v!r} must be 1-120 characters of letters, digits, '.', '_', ':' or '-', "
                "starting with a letter or digit"
            )
        return v

    @field_validator("title", "industry", "product")
    @classmethod
    def _non_empty(cls, v: Any) -> str:
        v = " ".join(str(v if v is not None else "").split())
        if not v:
            raise ValueError("must not be empty")
        return v

    @field_validator("outcome", mode="before")
    @classmethod
    def _outcome(cls, v: Any) -> str:
        return parse_outcome(v)

    @field_validator("deal_size", mode="before")
    @classmethod
    def _deal_size(cls, v: Any) -> float | None:
        return parse_amount(v)

    @field_validator("currency", "region", "customer", mode="before")
    @classmethod
    def _text(cls, v: Any) -> str:
        return "" if v is None else " ".join(str(v).split())

    @field_validator("objections", "tags", mode="before")
    @classmethod
    def _list(cls, v: Any) -> list[str]:
        if v is None or v == "":
            return []
        if isinstance(v, str):
            v = [p for p in re.split(r"[;,，；]", v)]
        if not isinstance(v, (list, tuple)):
            raise ValueError(f"must be a list, got {type(v).__name__}")
        return [" ".join(str(x).split()) for x in v if x is not None and str(x).strip()]

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, (_dt.date, _dt.datetime)):
            return v.isoformat()
        return str(v).strip()

    # ---- views -----------------------------------------------------------------------
    def filter_metadata(self) -> dict[str, Any]:
        """Scalar metadata stored with every chunk (Chroma filters and hit display)."""
        meta: dict[str, Any] = {
            "case_id": self.id,
            "title": self.title,
            "outcome": self.outcome,
            "industry": self.industry,
            "product": self.product,
            "region": self.region,
            "customer": self.customer,
            "currency": self.currency,
            "date": self.date,
            "source": self.source,
            "f_industry": norm_key(self.industry),
            "f_product": norm_key(self.product),
            "f_region": norm_key(self.region),
        }
        if self.deal_size is not None:
            meta["deal_size"] = float(self.deal_size)
        return meta

    def public_metadata(self) -> dict[str, Any]:
        """Everything except id/title/body, JSON-friendly (CaseHit.metadata, CLI list)."""
        return self.model_dump(exclude={"id", "title", "body"})

    def to_markdown(self) -> str:
        """The case as a case file (round-trips through :func:`parse_case_text`)."""
        import yaml

        fm = self.model_dump(exclude={"body", "source", "extra"}, exclude_defaults=True)
        fm = {k: fm[k] for k in ("id", "title", "industry", "product", "outcome") if k in fm} | {
            k: v for k, v in fm.items() if k not in REQUIRED_FIELDS
        }
        fm.update(self.extra)
        head = yaml.safe_dump(fm, allow_unicode=True, sort_keys=False).strip()
        return f"---\n{head}\n---\n{self.body.strip()}\n"


def content_hash(case: Case) -> str:
    """Hash of everything that is indexed (not where it came from)."""
    import hashlib

    return hashlib.sha256(case.model_dump_json(exclude={"source"}).encode()).hexdigest()


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(front matter dict or None when there is none, body). Raises ValidationFailed for
    front matter that is not valid YAML or not a mapping."""
    import yaml

    m = _FRONT_MATTER_RE.match(text)
    if not m:
        return None, text
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise ValidationFailed(f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed(f"front matter must be a YAML mapping of fields, got {type(data).__name__}")
    return data, text[m.end():]


def build_case(fields: dict[str, Any], body: str, *, source: str = "") -> Case:
    """Validate front-matter fields + body into a :class:`Case`; one clear error listing
    every problem."""
    problems: list[str] = []
    missing = [f for f in REQUIRED_FIELDS if fields.get(f) in (None, "")]
    if missing:
        problems.append("missing required field(s): " + ", ".join(missing))
    if not body.strip():
        problems.append("the case has no body text")
    data = {k: v for k, v in fields.items() if k in KNOWN_FIELDS}
    extra = {str(k): v for k, v in fields.items() if k not in KNOWN_FIELDS}
    try:
        case = Case(**data, body=body.strip(), source=source, extra=_jsonable(extra))
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            if err["type"] == "missing" and field in missing:
                continue
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{field}: {msg}")
        case = None
    if problems:
        raise ValidationFailed("invalid case: " + "; ".join(problems))
    assert case is not None
    return case


def parse_case_text(text: str, *, source: str = "", defaults: dict[str, Any] | None = None) -> Case:
    """Parse a Markdown case file. ``defaults`` fill fields the front matter lacks (used
    for sidecar metadata of PDF/DOCX/TXT documents)."""
    fields, body = split_front_matter(text)
    if fields is None and not defaults:
        raise ValidationFailed(
            "missing front matter: a case file starts with a '---' YAML block with "
            + ", ".join(REQUIRED_FIELDS)
        )
    merged = dict(defaults or {})
    merged.update(fields or {})
    return build_case(merged, body, source=source)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
