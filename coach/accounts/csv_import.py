"""CSV import of accounts, contacts, opportunities and interactions (see
:mod:`coach.accounts.service` for the formats). Idempotent upserts; per-row errors are reported
in :class:`ImportReport` while the other rows go in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from coach.accounts.names import suggest_names
from coach.db.models import Account, Contact, Interaction, Opportunity, User
from coach.errors import EmptyInputError, InputError, NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from coach.db.engine import Database

log = logging.getLogger(__name__)

KINDS = ("accounts", "contacts", "opportunities", "interactions")
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("name", "industry", "region", "size", "owner", "notes"),
    "contacts": ("account", "name", "title", "email", "phone", "notes"),
    "opportunities": ("account", "name", "product", "stage", "amount", "currency", "close_date", "status", "open_objections"),
    "interactions": ("account", "user", "date", "kind", "summary"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "accounts": ("name",), "contacts": ("account", "name"),
    "opportunities": ("account", "name"), "interactions": ("account", "date"),
}
STATUSES = ("open", "won", "lost")

# ------------------------------------------------------------------------- results --
class RowError(BaseModel):
    file: str
    #: line number in the file (header = 1); 0 for a file-level problem
    line: int
    message: str
    level: Literal["error", "warning"] = "error"


class ImportReport(BaseModel):
    files: list[str] = Field(default_factory=list)
    created: dict[str, int] = Field(default_factory=dict)
    updated: dict[str, int] = Field(default_factory=dict)
    unchanged: dict[str, int] = Field(default_factory=dict)
    errors: list[RowError] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def rows_failed(self) -> int:
        return sum(1 for e in self.errors if e.level == "error" and e.line)


# ------------------------------------------------------------------------ reading CSV --
def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        raise EmptyInputError(f"{path.name} is empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise InputError(f"{path.name} is not a text file (could not detect its encoding)") from None
        return str(best)


def detect_kind(path: Path, header: Iterable[str]) -> str | None:
    """accounts/contacts/... from the file name, else from the header columns."""
    stem = path.stem.lower()
    for kind in KINDS:
        if stem == kind or stem.startswith(kind) or stem.endswith(kind):
            return kind
    cols = {h.strip().lower() for h in header}
    for kind in ("opportunities", "interactions", "contacts", "accounts"):
        if set(REQUIRED[kind]) <= cols and len(cols & set(COLUMNS[kind])) >= len(COLUMNS[kind]) - 2:
            return kind
    return None


def parse_amount(value: str) -> float | None:
    v = re.sub(r"[,\s\u00a0_]", "", value or "")
    if not v:
        return None
    if not re.fullmatch(r"[-+]?\d+(?:\.\d+)?", v):
        raise ValueError(f"amount {value!r} is not a number")
    return float(v)


def parse_date(value: str) -> str:
    v = (value or "").strip()
    try:
        return dt.date.fromisoformat(v[:10]).isoformat()
    except ValueError:
        raise ValueError(f"date {value!r} is not YYYY-MM-DD") from None


class AccountImporter:
    """Runs one import; used through ``AccountService.import_paths``."""

    def __init__(self, db: "Database") -> None:
        self.db = db

    def run(self, paths: Iterable[Path | str]) -> ImportReport:
        """Import CSV files and/or directories (their ``*.csv``), in dependency order."""
        report = ImportReport()
        jobs: list[tuple[int, Path, str, list[dict[str, str]]]] = []
        files: list[Path] = []
        for p in (Path(x) for x in paths):
            if p.is_dir():
                files.extend(sorted(p.glob("*.csv")))
            elif p.is_file():
                files.append(p)
            else:
                report.errors.append(RowError(file=str(p), line=0, message="no such file or directory"))
        if not files and not report.errors:
            raise InputError("no CSV files to import", detail="give a directory with accounts.csv etc. or CSV files")
        for path in files:
            if path.stem.lower() == "users":
                report.notes.append(f"{path.name}: users are managed with 'salescoach users' / the demo seed; skipped")
                continue
            try:
                reader = csv.DictReader(io.StringIO(_read_text(path)))
                header = [h.strip().lower() for h in (reader.fieldnames or [])]
                kind = detect_kind(path, header)
                if kind is None:
                    raise InputError(f"cannot tell what {path.name} holds",
                                     detail="name it accounts.csv, contacts.csv, opportunities.csv or interactions.csv")
                missing = [c for c in REQUIRED[kind] if c not in header]
                if missing:
                    raise InputError(f"missing column(s) {', '.join(missing)} (a {kind} file needs {', '.join(COLUMNS[kind])})")
                rows = [{(k or "").strip().lower(): (v if isinstance(v, str) else "") for k, v in r.items()} for r in reader]
            except (InputError, csv.Error, OSError) as exc:
                report.errors.append(RowError(file=path.name, line=0, message=getattr(exc, "message", str(exc))))
                continue
            report.files.append(str(path))
            jobs.append((KINDS.index(kind), path, kind, rows))
        for _, path, kind, rows in sorted(jobs, key=lambda j: j[0]):
            with self.db.session() as s:
                handler = getattr(self, f"_upsert_{kind}")
                for line, row in enumerate(rows, start=2):
                    if not any((v or "").strip() for v in row.values()):
                        continue
                    empty = [c for c in REQUIRED[kind] if not (row.get(c) or "").strip()]
                    if empty:
                        report.errors.append(RowError(file=path.name, line=line, message=f"missing value for {', '.join(empty)}"))
                        continue
                    try:
                        handler(s, row, report, path.name, line)
                    except (ValueError, NotFoundError) as exc:
                        report.errors.append(RowError(file=path.name, line=line, message=getattr(exc, "message", str(exc))))
                s.flush()
        log.info("accounts import: created %s updated %s errors %d", report.created, report.updated, len(report.errors))
        return report

    def _account(self, s: "Session", name: str) -> Any:
        from sqlalchemy import func, select


        acc = s.scalars(select(Account).where(func.lower(Account.name) == name.strip().lower())).first()
        if acc is None:
            raise NotFoundError(f"unknown account {name.strip()!r}" + self._suggest(s, name))
        return acc

    def _user_id(self, s: "Session", username: str, report: ImportReport, file: str, line: int) -> int | None:
        from sqlalchemy import select


        username = (username or "").strip()
        if not username:
            return None
        uid = s.scalars(select(User.id).where(User.username == username)).first()
        if uid is None:
            report.errors.append(RowError(file=file, line=line, level="warning",
                                          message=f"unknown user {username!r}; imported without one"))
        return uid

    @staticmethod
    def _apply(obj: Any, values: dict[str, Any]) -> bool:
        changed = False
        for k, v in values.items():
            if getattr(obj, k) != v:
                setattr(obj, k, v)
                changed = True
        return changed

    def _record(self, s: "Session", report: ImportReport, kind: str, obj: Any, existing: Any, values: dict[str, Any]) -> None:
        if existing is None:
            s.add(obj)
            s.flush()
            report.count(report.created, kind)
        elif self._apply(existing, values):
            report.count(report.updated, kind)
        else:
            report.count(report.unchanged, kind)

    def _upsert_accounts(self, s: "Session", row: dict[str, str], report: ImportReport, file: str, line: int) -> None:
        from sqlalchemy import func, select


        name = row["name"].strip()
        values = {k: (row.get(k) or "").strip() for k in ("industry", "region", "size", "notes")}
        values["owner_id"] = self._user_id(s, row.get("owner", ""), report, file, line)
        existing = s.scalars(select(Account).where(func.lower(Account.name) == name.lower())).first()
        self._record(s, report, "accounts", Account(name=name, **values), existing, values)

    def _upsert_contacts(self, s: "Session", row: dict[str, str], report: ImportReport, file: str, line: int) -> None:
        from sqlalchemy import func, select


        acc = self._account(s, row["account"])
        name = row["name"].strip()
        values = {k: (row.get(k) or "").strip() for k in ("title", "email", "phone", "notes")}
        existing = s.scalars(select(Contact).where(Contact.account_id == acc.id, func.lower(Contact.name) == name.lower())).first()
        self._record(s, report, "contacts", Contact(account_id=acc.id, name=name, **values), existing, values)

    def _upsert_opportunities(self, s: "Session", row: dict[str, str], report: ImportReport, file: str, line: int) -> None:
        from sqlalchemy import func, select


        acc = self._account(s, row["account"])
        status = (row.get("status") or "open").strip().lower() or "open"
        if status not in STATUSES:
            raise ValueError(f"status {row.get('status')!r} is not one of {', '.join(STATUSES)}")
        close = (row.get("close_date") or "").strip()
        values = {
            "product": (row.get("product") or "").strip(), "stage": (row.get("stage") or "").strip(),
            "amount": parse_amount(row.get("amount", "")), "currency": (row.get("currency") or "").strip().upper(),
            "close_date": parse_date(close) if close else "", "status": status,
            "open_objections": [o.strip() for o in re.split(r"[;；]", row.get("open_objections") or "") if o.strip()],
        }
        name = row["name"].strip()
        existing = s.scalars(
            select(Opportunity).where(Opportunity.account_id == acc.id, func.lower(Opportunity.name) == name.lower())
        ).first()
        self._record(s, report, "opportunities", Opportunity(account_id=acc.id, name=name, **values), existing, values)

    def _upsert_interactions(self, s: "Session", row: dict[str, str], report: ImportReport, file: str, line: int) -> None:
        from sqlalchemy import select


        acc = self._account(s, row["account"])
        values = {
            "date": parse_date(row["date"]), "kind": (row.get("kind") or "meeting").strip() or "meeting",
            "summary": (row.get("summary") or "").strip(),
            "user_id": self._user_id(s, row.get("user", ""), report, file, line),
        }
        existing = s.scalars(select(Interaction).where(
            Interaction.account_id == acc.id, Interaction.date == values["date"],
            Interaction.kind == values["kind"], Interaction.summary == values["summary"],
        )).first()
        self._record(s, report, "interactions", Interaction(account_id=acc.id, **values), existing, values)

    def _suggest(self, s: "Session", name: str) -> str:
        from sqlalchemy import select


        close = suggest_names(name, list(s.scalars(select(Account.name))))
        return f"; did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
