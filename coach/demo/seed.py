"""``salescoach init --demo``: a working demo organisation, offline, idempotent.

Seeds, in order: the schema; the users of ``knowledge/demo/users.csv`` (at least rep1,
rep2 in team A, manager1 managing team A and admin), each with the password
``<username>-demo``; the demo accounts, contacts, opportunities and interactions; the
case base (``knowledge/cases`` into the KB); and the demo call transcripts
(``knowledge/demo/calls/*.txt`` with ``<stem>.meta.yaml``), analysed as calls of their
reps; with ``reports=True`` also their post-call reports (the configured LLM phrases the
summaries, so this is opt-in). Running it again adds only what is missing.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from coach.auth.users import create_user, get_principal
from coach.calls.store import CallStore
from coach.db.models import Account, Call, Report
from coach.errors import DOMAIN_ERRORS, InputError
from coach.knowledge.views import to_plain
from coach.reports.postcall import generate_report
from speech.types import AnalyzeOptions

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)

#: the users the product brief promises, whatever users.csv says
REQUIRED_USERS = (
    ("rep1", "Rep One", "rep", "A"),
    ("rep2", "Rep Two", "rep", "A"),
    ("manager1", "Manager One", "manager", "A"),
    ("admin", "Administrator", "admin", ""),
)


@dataclass
class DemoReport:
    users_created: list[str] = field(default_factory=list)
    accounts: dict[str, Any] = field(default_factory=dict)
    kb: dict[str, Any] = field(default_factory=dict)
    calls_added: list[str] = field(default_factory=list)
    calls_skipped: int = 0
    reports_added: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "users_created": self.users_created,
            "accounts": self.accounts,
            "kb": self.kb,
            "calls_added": self.calls_added,
            "calls_skipped": self.calls_skipped,
            "reports_added": self.reports_added,
            "errors": self.errors,
        }


def demo_password(username: str) -> str:
    return f"{username}-demo"


def init_schema(services: "Services") -> None:
    """Create or upgrade the database schema (Alembic) and the data directories."""
    services.settings.ensure_dirs()
    _ = services.db  # Database() runs the migrations


def _demo_users(demo_dir: Path) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    path = demo_dir / "users.csv"
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for rec in csv.DictReader(fh):
                name = (rec.get("username") or "").strip()
                if name:
                    rows.append(
                        (
                            name,
                            (rec.get("display_name") or name).strip(),
                            (rec.get("role") or "rep").strip(),
                            (rec.get("team") or "").strip(),
                        )
                    )
    have = {r[0] for r in rows}
    rows.extend(r for r in REQUIRED_USERS if r[0] not in have)
    return rows


def seed_users(services: "Services", demo_dir: Path, report: DemoReport) -> None:
    for username, display, role, team in _demo_users(demo_dir):
        if get_principal(services.db, username) is not None:
            continue
        create_user(
            services.db, username, demo_password(username), role=role, team=team or None, display_name=display
        )
        report.users_created.append(username)


def seed_accounts(services: "Services", demo_dir: Path, report: DemoReport) -> None:
    try:
        from coach.accounts import service as accounts
    except ImportError:
        report.errors.append("accounts: coach.accounts.service is not installed; demo accounts skipped")
        return
    importer: Callable[..., Any] | None = getattr(accounts, "import_directory", None)
    if importer is None:
        report.errors.append("accounts: coach.accounts.service.import_directory missing; demo accounts skipped")
        return

    result = importer(services.db, demo_dir)
    report.accounts = to_plain(result) if result is not None else {}


def seed_kb(services: "Services", cases_dir: Path, report: DemoReport) -> None:
    if not cases_dir.is_dir():
        report.errors.append(f"kb: {cases_dir} not found")
        return

    result = to_plain(services.kb.ingest([cases_dir]))
    report.kb = {k: (len(v) if isinstance(v, list) and k != "errors" else v) for k, v in result.items()} if isinstance(result, dict) else {}


def _read_meta(path: Path) -> dict[str, Any]:
    import yaml

    meta_path = path.with_name(path.stem + ".meta.yaml")
    if not meta_path.exists():
        return {}
    data = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise InputError(f"{meta_path}: expected a mapping")
    return data


#: the demo calls are spread over this many weeks before today, so the team view's
#: weekly trend has several points per rep
DEMO_WEEKS = 6


def _demo_date(meta: dict[str, Any], index: int, count: int) -> Any:
    """When a demo call took place: ``weeks_ago`` from its meta file, else spread evenly
    over :data:`DEMO_WEEKS` (oldest file first), at 10:00 UTC."""
    from datetime import datetime, timedelta, timezone

    weeks = meta.get("weeks_ago")
    if weeks is None:
        weeks = round((DEMO_WEEKS - 1) * (1 - index / max(count - 1, 1)))
    day = datetime.now(timezone.utc).replace(hour=10, minute=0, second=0, microsecond=0)
    return day - timedelta(weeks=float(weeks), days=index % 3)


def seed_calls(services: "Services", calls_dir: Path, report: DemoReport) -> None:
    """Analyse each demo transcript as a call of its rep (skips ones already stored)."""
    import hashlib

    from sqlalchemy import func, select


    if not calls_dir.is_dir():
        report.errors.append(f"calls: {calls_dir} not found")
        return
    store = CallStore(services.db, services.settings)
    paths = sorted(p for p in calls_dir.iterdir() if p.suffix in (".txt", ".vtt", ".srt", ".json") and ".meta" not in p.name)
    for index, path in enumerate(paths):
        try:
            meta = _read_meta(path)
            rep = get_principal(services.db, str(meta.get("rep") or "rep1"))
            user_id = rep.id if rep else None
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            with services.db.session() as s:
                existing = s.scalars(
                    select(Call.id).where(Call.sha256 == sha, Call.user_id == user_id, Call.status == "analyzed")
                ).first()
                account_id = None
                if meta.get("account"):
                    account_id = s.scalars(
                        select(Account.id).where(func.lower(Account.name) == str(meta["account"]).lower())
                    ).first()
            if existing:
                report.calls_skipped += 1
                continue
            call_id = store.create_call(
                path, user_id=user_id, account_id=account_id, title=str(meta.get("title") or path.stem), original_filename=path.name
            )
            with services.db.session() as s:
                call = s.get(Call, call_id)
                if not call.sha256:
                    call.sha256 = sha
                if meta.get("outcome"):
                    call.outcome = str(meta["outcome"])
                call.created_at = _demo_date(meta, index, len(paths))
            options = AnalyzeOptions(rep_speaker=str(meta["rep_speaker"]) if meta.get("rep_speaker") else None)
            store.analyze_call(call_id, services.analyzer, options)
            report.calls_added.append(call_id)
        except DOMAIN_ERRORS as exc:
            report.errors.append(f"calls: {path.name}: {exc}")


def seed_reports(services: "Services", call_ids: list[str], report: DemoReport) -> None:
    """Write the post-call report of each call that has none (uses the configured LLM)."""
    from sqlalchemy import select


    for call_id in call_ids:
        with services.db.session() as s:
            if s.scalars(select(Report.id).where(Report.call_id == call_id, Report.kind == "report")).first():
                continue
        try:
            generate_report(services, call_id)
            report.reports_added.append(call_id)
        except DOMAIN_ERRORS as exc:
            report.errors.append(f"report: {call_id}: {exc}")


def init_demo(
    services: "Services", *, knowledge_dir: Path | None = None, calls: bool = True, reports: bool = False
) -> DemoReport:
    """Seed the demo organisation (see module docstring); safe to run repeatedly."""
    kdir = Path(knowledge_dir or services.settings.knowledge_dir)
    demo_dir = kdir / "demo"
    report = DemoReport()
    init_schema(services)
    seed_users(services, demo_dir, report)
    seed_accounts(services, demo_dir, report)
    seed_kb(services, kdir / "cases", report)
    if calls:
        seed_calls(services, demo_dir / "calls", report)
    if reports:
        from sqlalchemy import select

        from coach.db.models import Call

        with services.db.session() as s:
            analysed = list(s.scalars(select(Call.id).where(Call.status == "analyzed", Call.user_id.is_not(None))))
        seed_reports(services, analysed, report)
    log.info("demo seeded: %s", report.to_dict())
    return report
