"""Voice role-play: a spoken rep turn is transcribed (the speech pipeline's Whisper);
the buyer's line is spoken to a wav with espeak-ng (offline) when it is installed."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

from coach.errors import DependencyMissingError, EmptyInputError, InputError, NotFoundError

log = logging.getLogger(__name__)

#: espeak-ng voices per persona language
VOICES = {"en": "en-us", "zh": "cmn"}


#: longest spoken rep turn accepted (a turn is transcribed while the request waits)
MAX_TURN_S = 120.0


def transcribe_turn(analyzer: Any, path: str | Path, language: str | None = None) -> str:
    """The text of a recorded rep turn; silence or no speech is an ``EmptyInputError``."""
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"audio file not found: {p}")
    if p.stat().st_size == 0:
        raise EmptyInputError(f"{p.name} is empty")
    result = analyzer.transcribe_file(p, language=language, max_duration_s=MAX_TURN_S)
    text = "".join(w.text for w in result.words).strip()
    if not text:
        raise EmptyInputError(f"no speech recognised in {p.name}", detail="record the turn again, closer to the microphone")
    return text


def speak_reply(text: str, out_dir: str | Path) -> Path | None:
    """The buyer's line as a wav in ``out_dir`` (language from the script: Chinese
    characters -> Mandarin voice), or None when espeak-ng is not installed."""
    if not espeak_available() or not text.strip():
        return None
    import hashlib
    import re

    lang = "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"
    name = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return speak(text, Path(out_dir) / f"buyer-{name}.wav", lang)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, out_path: str | Path, language: str = "en", *, speed_wpm: int = 160) -> Path:
    """Write ``text`` spoken by espeak-ng to ``out_path`` (wav)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise DependencyMissingError("espeak-ng", "speaking the buyer's lines (apt-get install espeak-ng)")
    if not text.strip():
        raise InputError("nothing to speak")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    voice = VOICES.get(language, "en-us")
    # the text goes on stdin, never on the command line (no option injection)
    proc = subprocess.run(
        [exe, "-v", voice, "-s", str(speed_wpm), "-w", str(out), "--stdin"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        raise InputError("espeak-ng could not speak the line", detail=proc.stderr.decode("utf-8", "replace")[:300])
    return out
