"""Accounts and their history: CSV import (``salescoach accounts import``) and the
account context the coach sees (contacts, opportunities, open objections, past calls
with their key facts, how recently and how often we talked to them).

CSV formats (UTF-8 or GBK; header row; extra columns ignored)::

    accounts.csv       name,industry,region,size,owner,notes
    contacts.csv       account,name,title,email,phone,notes
    opportunities.csv  account,name,product,stage,amount,currency,close_date,status,open_objections
    interactions.csv   account,user,date,kind,summary

``open_objections`` is semicolon-separated; ``status`` is open|won|lost; dates are
YYYY-MM-DD; ``owner``/``user`` are usernames (users are managed by ``salescoach users``
and the demo seed, so ``users.csv`` is not imported here). Imports are idempotent
upserts keyed on the account name (case-insensitive), (account, contact name),
(account, opportunity name) and the whole interaction row. Row problems (missing
values, unknown account, bad numbers or dates) are reported per row; the rest goes in.
"""


from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coach.accounts.csv_import import COLUMNS, KINDS, AccountImporter, ImportReport, RowError
from coach.accounts.names import suggest_names
from coach.auth.permissions import Principal, visible_user_ids
from coach.db.models import Account, Analysis, Call, Contact, Interaction, Opportunity, Report, User
from coach.errors import InputError, NotFoundError
from speech.shift_summary import summarize_doc

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from coach.db.engine import Database

log = logging.getLogger(__name__)

__all__ = ["AccountContext", "AccountService", "AccountSummary", "ImportReport", "RowError", "import_directory",
           "COLUMNS", "KINDS"]

RECENT_DAYS = 90

class ContactInfo(BaseModel):
    name: str
    title: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""


class OpportunityInfo(BaseModel):
    name: str
    product: str = ""
    stage: str = ""
    amount: float | None = None
    currency: str = ""
    close_date: str = ""
    status: str = "open"
    open_objections: list[str] = Field(default_factory=list)


class InteractionInfo(BaseModel):
    date: str
    kind: str = ""
    user: str | None = None
    summary: str = ""
    call_id: str | None = None


class PastCall(BaseModel):
    """Key facts of an analysed call of this account (from its stored analysis)."""

    call_id: str
    title: str = ""
    date: str
    status: str
    outcome: str | None = None
    duration_s: float | None = None
    talk_ratio: float | None = None
    negative_shifts: int = 0
    #: [{type, time, text}] objections, pricing, competitors, next steps
    moments: list[dict[str, Any]] = Field(default_factory=list)
    has_report: bool = False


class _AccountHeader(BaseModel):
    """The fields every account view starts with."""

    name: str
    industry: str = ""
    region: str = ""
    size: str = ""
    owner: str | None = None


class AccountSummary(_AccountHeader):
    open_opportunities: int = 0
    last_contact_date: str | None = None


class AccountContext(_AccountHeader):
    notes: str = ""
    contacts: list[ContactInfo] = Field(default_factory=list)
    opportunities: list[OpportunityInfo] = Field(default_factory=list)
    #: objections of the open opportunities, de-duplicated, in order
    open_objections: list[str] = Field(default_factory=list)
    past_calls: list[PastCall] = Field(default_factory=list)
    interactions: list[InteractionInfo] = Field(default_factory=list)
    last_contact_date: str | None = None
    days_since_last_contact: int | None = None
    #: interactions + calls (not already logged as an interaction) in the last 90 days
    interactions_last_90d: int = 0
    as_of: str

    def to_prompt_text(self, *, max_calls: int = 3, max_interactions: int = 5) -> str:
        """Compact facts for an LLM data block (contact e-mails/phones left out)."""
        lines = [f"Account: {self.name}", f"Industry: {self.industry or '-'}; region: {self.region or '-'}; size: {self.size or '-'}"]
        if self.notes:
            lines.append(f"Notes: {self.notes}")
        for c in self.contacts:
            lines.append(f"Contact: {c.name}" + (f", {c.title}" if c.title else ""))
        for o in self.opportunities:
            amount = f"{o.amount:,.0f} {o.currency}".strip() if o.amount is not None else "amount n/a"
            lines.append(f"Opportunity: {o.name} ({o.product or '-'}), stage {o.stage or '-'}, {amount}, status {o.status}")
        if self.open_objections:
            lines.append("Open objections: " + "; ".join(self.open_objections))
        if self.last_contact_date:
            lines.append(f"Last contact: {self.last_contact_date} ({self.days_since_last_contact} days ago); "
                         f"{self.interactions_last_90d} interactions in the last {RECENT_DAYS} days")
        for i in self.interactions[:max_interactions]:
            lines.append(f"Interaction {i.date} {i.kind}: {i.summary}")
        for c in self.past_calls[:max_calls]:
            ratio = f"{c.talk_ratio:.0%}" if c.talk_ratio is not None else "n/a"
            lines.append(f"Call {c.call_id} on {c.date}: rep talk ratio {ratio}, {c.negative_shifts} negative shifts")
            for m in c.moments[:4]:
                lines.append(f"  {m.get('type')} at {m.get('time', 0):.0f}s: {m.get('text', '')}")
        return "\n".join(lines)


# ------------------------------------------------------------------------- the service --
class AccountService:
    """Import and query accounts. Thread-safe (one DB session per call)."""

    def __init__(self, db: "Database") -> None:
        self.db = db

    def import_paths(self, paths: Iterable[Path | str]) -> ImportReport:
        """Import CSV files and/or directories (their ``*.csv``), in dependency order."""
        return AccountImporter(self.db).run(paths)

    # ---- queries -----------------------------------------------------------------------
    def _suggest(self, s: "Session", name: str) -> str:
        from sqlalchemy import select


        names = list(s.scalars(select(Account.name)))
        close = suggest_names(name, names)
        return f"; did you mean {' or '.join(repr(n) for n in close)}?" if close else ""

    def resolve(self, s: "Session", name: str) -> Any:
        """The Account row for ``name``: exact (case-insensitive), else the single account
        whose name contains it; NotFoundError with close matches otherwise."""
        from sqlalchemy import select


        if not name or not name.strip():
            raise InputError("no account name given")
        key = name.strip().lower()
        accounts = list(s.scalars(select(Account)))
        exact = [a for a in accounts if a.name.lower() == key]
        if exact:
            return exact[0]
        partial = [a for a in accounts if key in a.name.lower()]
        if len(partial) == 1:
            return partial[0]
        if len(partial) > 1:
            raise NotFoundError(f"{name.strip()!r} matches several accounts; did you mean "
                                + " or ".join(repr(a.name) for a in partial[:5]) + "?")
        if not accounts:
            raise NotFoundError(f"unknown account {name.strip()!r}: no accounts imported yet",
                                detail="run 'salescoach accounts import DIR'")
        raise NotFoundError(f"unknown account {name.strip()!r}" + self._suggest(s, name))

    def list_accounts(self) -> list[AccountSummary]:
        from sqlalchemy import func, select


        with self.db.session() as s:
            users = dict(s.execute(select(User.id, User.username)).all())
            open_opps = dict(s.execute(select(Opportunity.account_id, func.count())
                                       .where(Opportunity.status == "open").group_by(Opportunity.account_id)).all())
            last = dict(s.execute(select(Interaction.account_id, func.max(Interaction.date))
                                  .group_by(Interaction.account_id)).all())
            return [
                AccountSummary(name=a.name, industry=a.industry, region=a.region, size=a.size,
                               owner=users.get(a.owner_id), open_opportunities=open_opps.get(a.id, 0),
                               last_contact_date=last.get(a.id))
                for a in s.scalars(select(Account).order_by(Account.name))
            ]

    def account_names(self) -> list[str]:
        from sqlalchemy import select


        with self.db.session() as s:
            return list(s.scalars(select(Account.name).order_by(Account.name)))

    def find_mentioned(self, text: str) -> list[str]:
        """Names of accounts mentioned in free text (case-insensitive; a name's first two
        words are enough, e.g. 'Renji Hospital' in 'I see Renji Hospital Shanghai')."""
        low = (text or "").lower()
        found = []
        for name in self.account_names():
            words = name.lower().split()
            probes = {name.lower()} | ({" ".join(words[:2])} if len(words) > 2 else set())
            if any(p and p in low for p in probes):
                found.append(name)
        return found

    def get_account_context(
        self, name: str, *, today: dt.date | None = None, viewer_id: int | None = None
    ) -> AccountContext:
        """Everything the coach knows about an account (see :class:`AccountContext`).

        ``viewer_id`` is the user the context is for (chat, scripts): only the calls and
        call-linked interactions that user may see are included, and contact e-mails and
        phone numbers only when the account's owner is visible to them (or it has none).
        ``None`` (the CLI, an administrator's tools) includes everything.
        """
        from sqlalchemy import select


        today = today or dt.date.today()
        with self.db.session() as s:
            acc = self.resolve(s, name)
            users = dict(s.execute(select(User.id, User.username)).all())
            visible: set[int] | None = None
            if viewer_id is not None:
                viewer = s.get(User, viewer_id)
                visible = visible_user_ids(s, Principal.from_user(viewer)) if viewer is not None else set()
            owner_visible = visible is None or acc.owner_id is None or acc.owner_id in visible
            contacts = [ContactInfo(name=c.name, title=c.title, email=c.email if owner_visible else "",
                                    phone=c.phone if owner_visible else "", notes=c.notes)
                        for c in s.scalars(select(Contact).where(Contact.account_id == acc.id).order_by(Contact.id))]
            opps = [OpportunityInfo(name=o.name, product=o.product, stage=o.stage, amount=o.amount, currency=o.currency,
                                    close_date=o.close_date, status=o.status, open_objections=list(o.open_objections or []))
                    for o in s.scalars(select(Opportunity).where(Opportunity.account_id == acc.id).order_by(Opportunity.id))]
            inter_rows = list(s.scalars(select(Interaction).where(Interaction.account_id == acc.id)
                                        .order_by(Interaction.date.desc(), Interaction.id.desc())))
            call_q = select(Call).where(Call.account_id == acc.id).order_by(Call.created_at.desc())
            if visible is not None:
                call_q = call_q.where(Call.user_id.in_(sorted(visible)))
            calls = list(s.scalars(call_q))
            if visible is not None:  # an interaction logged for a call the viewer may not see goes too
                seen = {c.id for c in calls}
                inter_rows = [i for i in inter_rows if not i.call_id or i.call_id in seen]
            interactions = [InteractionInfo(date=i.date, kind=i.kind, user=users.get(i.user_id), summary=i.summary,
                                            call_id=i.call_id) for i in inter_rows]
            docs = {a.call_id: a.document for a in s.scalars(select(Analysis).where(Analysis.call_id.in_([c.id for c in calls])))}
            reported = set(s.scalars(select(Report.call_id).where(Report.call_id.in_([c.id for c in calls]))))
            past = [_past_call(c, docs.get(c.id), c.id in reported) for c in calls]
            objections = list(dict.fromkeys(x for o in opps if o.status == "open" for x in o.open_objections))
            logged_calls = {i.call_id for i in interactions if i.call_id}
            dates = [i.date for i in interactions] + [c.date for c in past]
            last = max(dates) if dates else None
            since = (today - dt.date.fromisoformat(last)).days if last else None
            cutoff = (today - dt.timedelta(days=RECENT_DAYS)).isoformat()
            recent = sum(1 for i in interactions if cutoff <= i.date <= today.isoformat()) + sum(
                1 for c in past if c.call_id not in logged_calls and cutoff <= c.date <= today.isoformat())
            return AccountContext(
                name=acc.name, industry=acc.industry, region=acc.region, size=acc.size, owner=users.get(acc.owner_id),
                notes=acc.notes, contacts=contacts, opportunities=opps, open_objections=objections, past_calls=past,
                interactions=interactions, last_contact_date=last, days_since_last_contact=since,
                interactions_last_90d=recent, as_of=today.isoformat(),
            )


def _past_call(call: Any, doc: dict[str, Any] | None, has_report: bool) -> PastCall:
    when = call.analyzed_at or call.created_at
    moments = []
    if doc:
        for m in doc.get("moments") or []:
            moments.append({"type": m.get("type"), "time": float(m.get("time") or 0.0), "text": str(m.get("text", ""))[:200],
                            "utterance_id": m.get("utterance_id")})
    talk = call.talk_ratio
    if talk is None and doc:
        talk = (doc.get("metrics") or {}).get("talk_ratio")
    shifts = call.negative_shifts
    if doc and not shifts:
        shifts = summarize_doc(doc).customer_negative
    return PastCall(call_id=call.id, title=call.title, date=when.date().isoformat() if when else "", status=call.status,
                    outcome=call.outcome, duration_s=call.duration_s, talk_ratio=talk, negative_shifts=shifts or 0,
                    moments=moments, has_report=has_report)


def import_directory(db: "Database", path: Path | str) -> ImportReport:
    """Import every CSV of ``path`` (what ``salescoach init --demo`` calls)."""
    return AccountService(db).import_paths([path])
