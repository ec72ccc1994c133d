"""Taking in an uploaded recording or transcript: size limit, type check by content,
durable storage, de-duplication, then a queued analysis job. Shared by the REST API and
the web UI so both apply exactly the same rules.

Order of operations (the upload is never lost): stream to ``uploads/.incoming`` while
hashing and counting bytes (413 over ``server.max_upload_mb``), fsync, sniff the content
(415 not audio / not a transcript, 422 empty), then ``CallStore.create_call`` copies it
into the uploads store and records the call, and only then is the job queued.

Duplicates: the same bytes (sha256) uploaded again by the same user while an earlier
call of them is not failed returns that call and its latest analysis job
(``duplicate=True``, HTTP 200) instead of analysing twice. Concurrent uploads of the
same file are serialised on a per-(user, sha256) lock, so exactly one call is created.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from coach.calls.jobs import latest_job_for_call
from coach.calls.locks import cluster_lock
from coach.calls.store import CallStore
from coach.db.models import Account, Call
from coach.errors import EmptyInputError, InputError, StorageFullError, TooLargeError, UnsupportedMediaError

if TYPE_CHECKING:  # pragma: no cover
    from coach.calls.jobs import JobQueue
    from coach.auth.permissions import Principal
    from coach.services import Services

log = logging.getLogger(__name__)

AUDIO_EXTS = {".wav", ".flac", ".mp3", ".m4a", ".mp4", ".ogg", ".opus", ".oga", ".webm", ".aac"}
TRANSCRIPT_EXTS = {".txt", ".vtt", ".srt", ".json"}
_ALIASES = {".ogg": (".ogg", ".opus", ".oga"), ".m4a": (".m4a", ".mp4")}
ACCEPTED = ", ".join(sorted(AUDIO_EXTS | TRANSCRIPT_EXTS))
_CHUNK = 1 << 20

#: striped locks (a fixed set, so nothing grows with the number of uploads)
_locks = [threading.Lock() for _ in range(64)]


@dataclass
class IntakeResult:
    call_id: str
    job_id: str | None
    duplicate: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "job_id": self.job_id, "duplicate": self.duplicate}


def max_upload_bytes(services: "Services") -> int:
    return int(services.settings.server.max_upload_mb) * 1024 * 1024


def sniff_audio(head: bytes) -> str | None:
    """The audio container a file starts with (its canonical extension), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head[:4] == b"fLaC":
        return ".flac"
    if head[:4] == b"OggS":
        return ".ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and head[1] & 0x06):
        return ".mp3"
    if head[4:8] == b"ftyp":
        return ".m4a"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return ".webm"
    if head[:2] == b"\xff\xf1" or head[:2] == b"\xff\xf9":
        return ".aac"
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sniffed block is still text
        return exc.start >= len(head) - 3
    return True


def check_kind(path: Path, filename: str) -> str:
    """Validate an upload by content and name; returns the extension to store it under."""
    size = path.stat().st_size
    if size == 0:
        raise EmptyInputError(f"{filename or 'the upload'} is empty")
    with path.open("rb") as fh:
        head = fh.read(4096)
    ext = Path(filename or "").suffix.lower()
    audio = sniff_audio(head)
    if ext in TRANSCRIPT_EXTS:
        if audio or not _looks_like_text(head):
            raise UnsupportedMediaError(
                f"{filename} is named like a transcript but is not UTF-8 text",
                detail=f"transcripts are UTF-8 {', '.join(sorted(TRANSCRIPT_EXTS))}",
            )
        if not head.strip():
            raise EmptyInputError(f"{filename} contains only whitespace")
        from speech.transcripts import MAX_TRANSCRIPT_BYTES

        if size > MAX_TRANSCRIPT_BYTES:
            raise TooLargeError(
                f"{filename} is {size / 1e6:.1f} MB; a transcript may be at most {MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MB",
                detail="a 4-hour call transcribed verbatim is well under 1 MB",
            )
        return ext
    if audio:
        # keep the user's extension when it names the same container (e.g. .opus in Ogg)
        return ext if ext in _ALIASES.get(audio, ()) else audio
    if ext in AUDIO_EXTS:
        kind = "text" if _looks_like_text(head) else "an unknown binary format"
        raise UnsupportedMediaError(f"{filename} is named like audio but its content is {kind}", detail=f"accepted: {ACCEPTED}")
    raise UnsupportedMediaError(
        f"{filename or 'the upload'} is neither a recording nor a transcript", detail=f"accepted: {ACCEPTED}"
    )


def store_incoming(services: "Services", stream: IO[bytes], filename: str) -> tuple[Path, str]:
    """Copy ``stream`` to uploads/.incoming durably; returns (path, sha256). 413 over the limit."""
    limit = max_upload_bytes(services)
    incoming = services.settings.uploads_dir / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename or "upload").suffix.lower()[:10]
    path = incoming / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    total = 0
    try:
        with path.open("wb") as out:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise TooLargeError(
                        f"{filename or 'the upload'} is larger than the limit of {services.settings.server.max_upload_mb} MB",
                        detail="raise SALESCOACH_SERVER__MAX_UPLOAD_MB to accept bigger files",
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest()


def _lock_for(key: tuple[int | None, str]) -> threading.Lock:
    return _locks[hash(key) % len(_locks)]


def resolve_account(services: "Services", account: str | None) -> int | None:
    """The id of the account named ``account`` (case-insensitive); 422 if unknown."""
    if not account or not account.strip():
        return None
    from sqlalchemy import func, select


    with services.db.session() as s:
        found = s.scalars(select(Account.id).where(func.lower(Account.name) == account.strip().lower())).first()
        names = list(s.scalars(select(Account.name))) if found is None else []
    if found is None:
        close: list[str] = []
        try:
            from coach.accounts.names import suggest_names

            close = suggest_names(account, names)
        except ImportError:
            pass
        hint = f"did you mean {', '.join(close)}?" if close else "import accounts first or leave the field empty"
        raise InputError(f"unknown account {account!r}", detail=hint)
    return found


def _existing_call(services: "Services", user_id: int | None, sha: str) -> IntakeResult | None:
    from sqlalchemy import select


    with services.db.session() as s:
        call_id = s.scalars(
            select(Call.id)
            .where(Call.sha256 == sha, Call.user_id == user_id, Call.status != "failed")
            .order_by(Call.created_at.desc())
        ).first()
    if call_id is None:
        return None
    job = latest_job_for_call(services.db, call_id)
    return IntakeResult(call_id, job["id"] if job else None, duplicate=True)


def submit_upload(
    services: "Services",
    jobs: "JobQueue",
    stream: IO[bytes],
    *,
    filename: str,
    principal: "Principal | None",
    account: str | None = None,
    title: str = "",
) -> IntakeResult:
    """Store, validate and queue one upload (see module docstring)."""
    account_id = resolve_account(services, account)
    with disk_errors(filename):
        return _submit(services, jobs, stream, filename=filename, principal=principal, account_id=account_id, title=title)


@contextlib.contextmanager
def disk_errors(filename: str) -> Iterator[None]:
    """A full disk or quota becomes :class:`StorageFullError` (507) with a clear message."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            log.error("disk full while storing %s: %s", filename, exc)
            raise StorageFullError(
                f"the server's disk is full; {filename or 'the upload'} was not stored",
                detail="ask an administrator to free space; nothing already stored was changed",
            ) from exc
        raise


def _submit(services: "Services", jobs: "JobQueue", stream: IO[bytes], *, filename: str,
            principal: "Principal | None", account_id: int | None, title: str) -> IntakeResult:
    incoming, sha = store_incoming(services, stream, filename)
    try:
        ext = check_kind(incoming, filename)
        if incoming.suffix.lower() != ext:
            fixed = incoming.with_suffix(ext)
            incoming.rename(fixed)
            incoming = fixed
        user_id = principal.id if principal else None
        # one call per (user, file) even when two API replicas receive it at once
        with cluster_lock(services.db, f"upload:{user_id}:{sha}", _lock_for((user_id, sha))):
            existing = _existing_call(services, user_id, sha)
            if existing is not None:
                log.info("duplicate upload of %s by user %s -> call %s", filename, user_id, existing.call_id)
                return existing
            store = CallStore(services.db, services.settings)
            call_id = store.create_call(
                incoming,
                user_id=user_id,
                account_id=account_id,
                title=title or Path(filename).stem,
                original_filename=filename,
            )
            with services.db.session() as s:
                call = s.get(Call, call_id)
                if call is not None and not call.sha256:
                    call.sha256 = sha
            job_id = jobs.submit("analyze", call_id=call_id)
        return IntakeResult(call_id, job_id)
    finally:
        incoming.unlink(missing_ok=True)
