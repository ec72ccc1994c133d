"""SQLAlchemy 2 models. One schema for SQLite (default) and PostgreSQL.

Structured results (analysis, report, scorecard) are stored as JSON documents next to
the relational columns that are filtered and aggregated on (so the manager views can
query without parsing JSON), plus ``utterances`` as rows for per-utterance lookups.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true as sa_true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    #: rep | manager | admin
    role: Mapped[str] = mapped_column(String(16), default="rep")
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    #: mean speaker embedding of an enrolled voice sample (list of floats)
    voice_embedding: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: a deactivated user cannot log in and loses every token and web session
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    #: bumped on password change, role change or deactivation: older tokens stop working
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    team: Mapped[Team | None] = relationship()


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    industry: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(80), default="")
    size: Mapped[str] = mapped_column(String(40), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class Opportunity(Base):
    __tablename__ = "opportunities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200), default="")
    stage: Mapped[str] = mapped_column(String(80), default="")
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(8), default="")
    close_date: Mapped[str] = mapped_column(String(20), default="")
    #: open | won | lost
    status: Mapped[str] = mapped_column(String(16), default="open")
    open_objections: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Interaction(Base):
    __tablename__ = "interactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    date: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40), default="meeting")
    summary: Mapped[str] = mapped_column(Text, default="")
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"), nullable=True)


class Call(Base):
    """An uploaded recording or transcript. The original file is kept in uploads/."""

    __tablename__ = "calls"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    original_filename: Mapped[str] = mapped_column(String(300), default="")
    stored_path: Mapped[str] = mapped_column(String(600), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    #: pending | analyzing | analyzed | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: won | lost | open | None
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    talk_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    negative_shifts: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    analyzed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    analysis: Mapped["Analysis | None"] = relationship(back_populates="call", uselist=False, cascade="all, delete-orphan")
    utterances: Mapped[list["UtteranceRow"]] = relationship(cascade="all, delete-orphan", order_by="UtteranceRow.idx")


class UtteranceRow(Base):
    __tablename__ = "utterances"
    __table_args__ = (UniqueConstraint("call_id", "uid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(16))
    speaker: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)
    arousal: Mapped[float | None] = mapped_column(Float, nullable=True)
    emotion: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Analysis(Base):
    """The full ``CallAnalysis`` JSON document of a call."""

    __tablename__ = "analyses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    call: Mapped[Call] = relationship(back_populates="analysis")


class Report(Base):
    """A post-call improvement report (or a lost-deal retrospective, kind='retro')."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="report")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    model: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportComment(Base):
    __tablename__ = "report_comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """Background work (analysis of an upload). State survives restarts."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32), default="analyze")
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"), nullable=True, index=True)
    #: queued | running | done | failed
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the worker running it ("host:pid"); informational (status, logs)
    worker: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: when the current attempt was claimed (pick-up latency = started_at - created_at)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: last change; while running it is also the worker's heartbeat (a stale one means
    #: the worker died), while queued the last time it was published to the broker
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class WorkerHeartbeat(Base):
    """A job worker that is alive (``salescoach worker`` or the embedded runner)."""

    __tablename__ = "worker_heartbeats"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    #: celery | embedded
    backend: Mapped[str] = mapped_column(String(16), default="celery")
    queues: Mapped[str] = mapped_column(String(120), default="")
    concurrency: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class AuditEvent(Base):
    """Who did what, when, from where: logins (also failed ones and lockouts), opening a
    call, downloading a file or an export, and changes to accounts."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(80), default="", index=True)
    #: login | login_failed | login_locked | lockout | open_call | download | export | user_change
    action: Mapped[str] = mapped_column(String(32), index=True)
    #: what it was done to (a call id, an export kind, a user name)
    target: Mapped[str] = mapped_column(String(200), default="")
    #: api | web | cli
    channel: Mapped[str] = mapped_column(String(8), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(400), default="")


class WebSession(Base):
    """A logged-in web (Gradio) session, shared by every API replica. Only a hash of the
    cookie token is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RoleplaySession(Base):
    __tablename__ = "roleplay_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    persona_id: Mapped[str] = mapped_column(String(80))
    seed: Mapped[int] = mapped_column(Integer, default=0)
    #: active | finished
    status: Mapped[str] = mapped_column(String(16), default="active")
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    turns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score_total: Mapped[float | None] = mapped_column(Float, nullable=True)
    scorecard: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PracticeAssignment(Base):
    __tablename__ = "practice_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    persona_id: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    #: open | done
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChatSession(Base):
    __tablename__ = "chat_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True)
    #: user | assistant | tool
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
