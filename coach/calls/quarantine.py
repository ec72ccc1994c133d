"""Files that crashed the audio decoder are set aside, never decoded again.

A recording that kills the decoder process (see :mod:`speech.sandbox`) is moved from the
uploads store to ``<storage>/quarantine/<call id>/``, the call is marked failed with the
reason, and a retry of its analysis is refused with a clear message: no crash loop on
retry or on job recovery after a restart. The file is kept for an administrator to look at.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from coach.settings import Settings
    from coach.db.engine import Database

log = logging.getLogger(__name__)


def quarantine_dir(settings: "Settings") -> Path:
    return settings.storage_dir / "quarantine"


def quarantine_call(db: "Database", settings: "Settings", call_id: str, reason: str) -> None:
    """Move the call's original out of the uploads store and mark the call failed."""
    from coach.db.models import Call

    with db.session() as s:
        call = s.get(Call, call_id)
        if call is None:
            return
        src = settings.stored_absolute(call.stored_path) if call.stored_path else None
        if src is not None and src.is_file():
            dest = quarantine_dir(settings) / call_id / src.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
            call.stored_path = settings.stored_relative(dest)
        call.status = "failed"
        call.error = reason[:4000]
    log.warning("call %s quarantined: %s", call_id, reason)


def is_quarantined(stored_path: str | None) -> bool:
    """True for a call whose original lies in the quarantine folder."""
    return bool(stored_path) and "quarantine" in Path(stored_path).parts[:-1]


def refuse_if_quarantined(db: "Database", call_id: str | None) -> None:
    """InputError when ``call_id`` is quarantined (its analysis must not run again)."""
    from coach.db.models import Call

    if not call_id:
        return
    with db.session() as s:
        call = s.get(Call, call_id)
        if call is not None and is_quarantined(call.stored_path):
            raise InputError(
                "this recording crashed the audio decoder and was set aside; it will not be analysed again",
                detail="re-export the call as a mono or stereo WAV or MP3 and upload that",
            )
