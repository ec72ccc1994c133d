"""Call storage: uploads, status, and analyses (the repository of ``calls``).

Rules (bad input "loses nothing"; docs/contracts/cli.md):
* ``create_call`` copies the upload into ``uploads/<call_id>/`` and fsyncs it BEFORE the
  database row exists, so a recorded call always has its original file.
* ``save_analysis`` writes the ``Analysis`` document, the ``UtteranceRow`` rows and the
  call's summary columns in ONE transaction: a failure leaves the previous state.
* ``analyze_call`` moves a call pending -> analyzing -> analyzed | failed; the original
  file is never touched, and a failure is recorded with its message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from coach.db.models import Analysis, Call, new_id, User, UtteranceRow
from coach.errors import DOMAIN_ERRORS, InputError, NotFoundError
from coach.privacy.pii import redact
from speech.shift_summary import summarize
from speech.types import AnalyzeOptions, CallAnalysis, ProgressCallback

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database
    from coach.services import Analyzer
    from coach.settings import Settings

log = logging.getLogger(__name__)

STATUSES = ("pending", "analyzing", "analyzed", "failed")
_SAFE = re.compile(r"[^\w.-]+")


def safe_filename(name: str, default: str = "upload") -> str:
    """A filesystem-safe basename that keeps the extension (it selects the parser)."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = _SAFE.sub("_", stem).strip("._")[:100] or default
    suffix = _SAFE.sub("", suffix)[:10].lower()
    return f"{stem}{suffix}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def call_to_dict(call: Any) -> dict[str, Any]:
    return {
        "id": call.id,
        "title": call.title,
        "status": call.status,
        "error": call.error,
        "user_id": call.user_id,
        "account_id": call.account_id,
        "original_filename": call.original_filename,
        "stored_path": call.stored_path,
        "sha256": call.sha256,
        **call_result_fields(call),
    }


def call_result_fields(call: Any) -> dict[str, Any]:
    """Outcome, language, metrics, flag and timestamps of a ``Call`` row (shared by the
    stored-call dict and the list views)."""
    return {
        "outcome": call.outcome,
        "language": call.language,
        "duration_s": call.duration_s,
        "talk_ratio": call.talk_ratio,
        "negative_shifts": call.negative_shifts,
        "flagged": bool(call.flagged),
        "created_at": call.created_at.isoformat() if call.created_at is not None else None,
        "analyzed_at": call.analyzed_at.isoformat() if call.analyzed_at is not None else None,
    }


class CallStore:
    """Repository of calls and their analyses."""

    def __init__(self, db: "Database", settings: "Settings") -> None:
        self.db = db
        self.settings = settings

    # ------------------------------------------------------------------ uploads --
    def create_call(
        self,
        source_path: str | Path,
        *,
        user_id: int | None = None,
        account_id: int | None = None,
        title: str = "",
        original_filename: str | None = None,
    ) -> str:
        """Copy the upload durably into the uploads store, then record a pending call."""
        src = Path(source_path)
        if not src.is_file():
            raise InputError(f"file not found: {src}")
        original = original_filename or src.name
        call_id = new_id()
        folder = self.settings.uploads_dir / call_id
        folder.mkdir(parents=True, exist_ok=False)
        dest = folder / safe_filename(original)
        tmp = folder / f".{dest.name}.part"
        digest = hashlib.sha256()
        with src.open("rb") as fin, tmp.open("wb") as fout:
            for block in iter(lambda: fin.read(1 << 20), b""):
                digest.update(block)
                fout.write(block)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dest)
        if self.settings.redact_stored_transcripts:
            _redact_transcript_file(dest)
        _fsync_dir(folder)
        with self.db.session() as s:
            s.add(
                Call(
                    id=call_id,
                    user_id=user_id,
                    account_id=account_id,
                    title=title or Path(original).stem,
                    original_filename=original,
                    stored_path=self.settings.stored_relative(dest),  # relative to the storage root
                    sha256=digest.hexdigest(),
                    status="pending",
                )
            )
        log.info("stored call %s (%s, %d bytes)", call_id, original, dest.stat().st_size)
        return call_id

    # ------------------------------------------------------------------ analyses --
    def save_analysis(self, call_id: str, analysis: CallAnalysis) -> None:
        """Store the analysis and its utterances and mark the call analysed, atomically."""
        from sqlalchemy import delete


        doc = analysis.to_json_dict()
        if self.settings.redact_stored_transcripts:
            from coach.privacy.pii import redact_for_storage

            doc = redact_for_storage(self.settings, doc)
        utterances = CallAnalysis.model_validate(doc).utterances
        with self.db.session() as s:
            call = s.get(Call, call_id)
            if call is None:
                raise NotFoundError(f"call {call_id} not found")
            s.execute(delete(UtteranceRow).where(UtteranceRow.call_id == call_id))
            s.execute(delete(Analysis).where(Analysis.call_id == call_id))
            s.add(Analysis(call_id=call_id, document=doc))
            for idx, u in enumerate(utterances):
                s.add(
                    UtteranceRow(
                        call_id=call_id,
                        idx=idx,
                        uid=u.id,
                        speaker=u.speaker,
                        role=u.role,
                        start=u.start,
                        end=u.end,
                        text=u.text,
                        sentiment=u.sentiment,
                        arousal=u.arousal,
                        emotion=u.emotion,
                    )
                )
            call.status = "analyzed"
            call.error = None
            call.language = (analysis.language or None) and analysis.language[:8]
            call.duration_s = analysis.audio.duration_s if analysis.audio else (
                max((u.end for u in analysis.utterances), default=0.0) or None
            )
            call.talk_ratio = analysis.metrics.talk_ratio
            shifts = summarize(analysis.emotion_shifts, [u.id for u in analysis.utterances])
            call.negative_shifts = shifts.customer_negative
            call.flagged = len(_flags(analysis, shifts.customer_negative_unrecovered))
            call.analyzed_at = _now()
            s.flush()  # surface constraint errors inside the transaction

    def mark_failed(self, call_id: str, error: str) -> None:
        with self.db.session() as s:
            call = s.get(Call, call_id)
            if call is None:
                raise NotFoundError(f"call {call_id} not found")
            call.status = "failed"
            call.error = (error or "unknown error")[:4000]

    def set_status(self, call_id: str, status: str) -> None:
        if status not in STATUSES:
            raise InputError(f"unknown call status {status!r}")
        with self.db.session() as s:
            call = s.get(Call, call_id)
            if call is None:
                raise NotFoundError(f"call {call_id} not found")
            call.status = status
            if status != "failed":
                call.error = None

    # -------------------------------------------------------------------- reads --
    def get_call(self, call_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            call = s.get(Call, call_id)
            if call is None:
                raise NotFoundError(f"call {call_id} not found")
            return self._resolved(call_to_dict(call))

    def _resolved(self, call: dict[str, Any]) -> dict[str, Any]:
        """The stored path as a file path on this machine (the row holds it relative to
        the storage root)."""
        if call["stored_path"]:
            call["stored_path"] = str(self.settings.stored_absolute(call["stored_path"]))
        return call

    def get_analysis(self, call_id: str) -> CallAnalysis:
        from sqlalchemy import select


        with self.db.session() as s:
            if s.get(Call, call_id) is None:
                raise NotFoundError(f"call {call_id} not found")
            doc = s.scalars(select(Analysis.document).where(Analysis.call_id == call_id)).first()
        if doc is None:
            raise NotFoundError(f"call {call_id} has no analysis yet")
        return CallAnalysis.model_validate(doc)

    def list_calls(
        self,
        *,
        user_ids: list[int] | None = None,
        status: str | None = None,
        account_id: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Calls newest first; ``user_ids`` restricts to those owners (None = all)."""
        from sqlalchemy import select


        if status and status not in STATUSES:
            raise InputError(f"unknown call status {status!r}", detail=f"one of {', '.join(STATUSES)}")
        q = select(Call)
        if user_ids is not None:
            q = q.where(Call.user_id.in_(user_ids))
        if status:
            q = q.where(Call.status == status)
        if account_id is not None:
            q = q.where(Call.account_id == account_id)
        q = q.order_by(Call.created_at.desc(), Call.id).limit(max(1, min(int(limit), 1000)))
        with self.db.session() as s:
            return [self._resolved(call_to_dict(c)) for c in s.scalars(q)]

    def rep_voice(self, user_id: int | None) -> np.ndarray | None:
        """The enrolled voice embedding of a user, if any."""
        if user_id is None:
            return None
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None or not user.voice_embedding:
                return None
            return np.asarray(user.voice_embedding, dtype=np.float32)

    # ------------------------------------------------------------------ analysis --
    def analyze_call(
        self,
        call_id: str,
        analyzer: "Analyzer",
        options: AnalyzeOptions | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> CallAnalysis:
        """Analyse a stored call and save the result; on any failure the call is marked
        failed with the error message and the error re-raised."""
        call = self.get_call(call_id)
        stored = Path(call["stored_path"])
        if not stored.is_file():
            msg = f"the original file of call {call_id} is missing from the uploads store"
            self.mark_failed(call_id, msg)
            raise NotFoundError(msg)
        options = options or AnalyzeOptions()
        if options.rep_voice is None:
            rep_voice = self.rep_voice(call["user_id"])
            if rep_voice is not None:
                options = replace(options, rep_voice=rep_voice,
                                  rep_name=options.rep_name or self._username(call["user_id"]))
        self.set_status(call_id, "analyzing")
        try:
            analysis = analyzer.analyze(stored, options, on_progress=on_progress)
            analysis.source = call["original_filename"] or analysis.source
            self.save_analysis(call_id, analysis)
        except BaseException as exc:
            msg = exc.message if isinstance(exc, DOMAIN_ERRORS) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, DOMAIN_ERRORS) and exc.detail:
                msg = f"{msg} ({exc.detail})"
            if isinstance(exc, KeyboardInterrupt):
                msg = "interrupted"
            try:
                self.mark_failed(call_id, msg)
            except Exception:  # the original error matters more
                log.exception("could not mark call %s failed", call_id)
            raise
        return analysis

    def _username(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        with self.db.session() as s:
            user = s.get(User, user_id)
            return user.username if user else None


def _redact_transcript_file(path: Path) -> None:
    """With stored-transcript redaction on, a transcript upload is kept with its PII
    replaced (audio originals cannot be redacted and are kept as uploaded)."""
    if path.suffix.lower() not in (".txt", ".vtt", ".srt", ".json"):
        return

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8; stored without redaction", path.name)
        return
    red = redact(text)
    if red.total:
        tmp = path.with_name(f".{path.name}.redacted")
        tmp.write_text(red.text, encoding="utf-8")
        os.replace(tmp, path)


def _flags(analysis: CallAnalysis, unrecovered_negative_shifts: int) -> list[str]:
    """Manager flags (metric outside its benchmark), from the team module's rules; none
    while no speaker is the rep (nothing is scored until someone says who the rep is)."""
    if not any(s.role == "rep" for s in analysis.speakers):
        return []
    try:
        from coach.team.views import call_flags
    except ImportError:  # pragma: no cover - team views not installed
        return []
    return call_flags(analysis.metrics.model_dump(), unrecovered_negative_shifts)
