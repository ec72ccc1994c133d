"""Transcripts as input: ``.vtt``, ``.srt``, ``.json`` (analysis-schema utterances) and
``.txt`` lines of ``Speaker: text``.

Malformed lines/cues are skipped with a warning that names the line; a file with nothing
usable raises ``EmptyInputError`` (empty) or ``InputError`` (only malformed content);
binary or undecodable files raise ``UnsupportedMediaError``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from speech.errors import EmptyInputError, InputError, TooLargeError, UnsupportedMediaError
from speech.phrases.text import count_words, detect_language, normalize
from speech.types import Utterance

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".vtt", ".srt", ".json", ".txt")
#: speaking rate used to synthesise times for transcripts without timestamps
SYNTH_WPM = 150.0
MAX_WARNINGS_LISTED = 20

_MAGIC = {
    b"RIFF": "WAV audio",
    b"ID3": "MP3 audio",
    b"fLaC": "FLAC audio",
    b"OggS": "Ogg audio",
    b"\x1aE\xdf\xa3": "WebM/Matroska media",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP/Office document",
}
_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_CUE_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|(?=<v[\s.])|$)", re.S)
_TAG = re.compile(r"</?[^>]+>")
_SPEAKER_LINE = re.compile(r"^\s*(?:-\s*)?([^:：\[\]<>]{1,40}?)\s*[:：]\s*(.+)$")
_TXT_TIME = re.compile(rf"^\s*[\[(]?\s*{_TS}\s*[\])]?\s*[-–]?\s*")


@dataclass
class ParsedTranscript:
    utterances: list[Utterance]
    warnings: list[str]
    language: str | None
    #: False when times were synthesised from word counts (``.txt`` without timestamps)
    timed: bool = True
    #: roles found in the file itself (a previous analysis JSON), usable as role hints
    role_hints: dict[str, str] = field(default_factory=dict)


def parse_transcript(path: Path, language: str | None = None) -> ParsedTranscript:
    """Parse a transcript file into utterances (ids ``u1..`` in time order unless the
    JSON carries unique ids)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedMediaError(
            f"{path.name}: unsupported transcript type '{suffix or '(none)'}'",
            detail=f"use one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    if not path.is_file():
        raise InputError(f"transcript not found: {path}")
    text, warnings = _read_text(path)
    if not text.strip():
        raise EmptyInputError(f"{path.name} is empty: no transcript lines")
    parser = {".vtt": _parse_cues, ".srt": _parse_cues, ".json": _parse_json, ".txt": _parse_txt}[suffix]
    result: ParsedTranscript = parser(text, path.name)
    result.warnings[:0] = warnings
    if not result.utterances:
        listed = "; ".join(result.warnings[:5])
        raise InputError(f"{path.name} has no valid transcript lines", detail=listed or None)
    result.language = language or result.language or detect_language([u.text for u in result.utterances])
    if len(result.warnings) > MAX_WARNINGS_LISTED:
        extra = len(result.warnings) - MAX_WARNINGS_LISTED
        result.warnings = result.warnings[:MAX_WARNINGS_LISTED] + [f"... and {extra} more skipped lines"]
    log.info("parsed %s: %d utterances, %d warnings", path.name, len(result.utterances), len(result.warnings))
    return result


# ------------------------------------------------------------------------ decoding --
#: a 4-hour call transcribed verbatim is about 400 KB; anything far bigger is not a call
MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
MAX_TRANSCRIPT_LINES = 50_000
MAX_LINE_CHARS = 20_000


def _read_text(path: Path) -> tuple[str, list[str]]:
    size = path.stat().st_size
    if size > MAX_TRANSCRIPT_BYTES:
        raise TooLargeError(
            f"{path.name} is {size / 1e6:.1f} MB; a transcript may be at most {MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MB"
        )
    text, warnings = _decode_text(path, path.read_bytes())
    lines = text.count("\n") + 1
    if lines > MAX_TRANSCRIPT_LINES:
        raise TooLargeError(f"{path.name} has {lines} lines; a transcript may have at most {MAX_TRANSCRIPT_LINES}")
    longest = max((len(x) for x in text.splitlines()), default=0)
    if longest > MAX_LINE_CHARS:
        raise TooLargeError(
            f"{path.name} has a line of {longest} characters; at most {MAX_LINE_CHARS} are accepted",
            detail="put each speaker turn on its own line",
        )
    return text, warnings


def _decode_text(path: Path, data: bytes) -> tuple[str, list[str]]:
    if not data.strip():
        raise EmptyInputError(f"{path.name} is empty: no transcript lines")
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise UnsupportedMediaError(
                f"{path.name} looks like {kind}, not a text transcript",
                detail="give audio files an audio extension (.wav, .mp3, ...)",
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ["decoded as UTF-16"]
        except UnicodeDecodeError as exc:
            raise UnsupportedMediaError(f"{path.name}: broken UTF-16 text") from exc
    head = data[:8192]
    if b"\x00" in head or _control_share(head) > 0.05:
        raise UnsupportedMediaError(f"{path.name} is a binary file, not a text transcript")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaError(
            f"{path.name} is neither UTF-8 nor GBK text", detail="save the transcript as UTF-8"
        ) from exc
    return text, [f"{path.name} is not UTF-8; decoded as GBK (GB18030)"]


def _control_share(data: bytes) -> float:
    ctrl = sum(1 for b in data if b < 32 and b not in (9, 10, 13, 12))
    return ctrl / max(len(data), 1)


def _ts(groups: tuple[str | None, ...]) -> float:
    h, m, s, frac = groups
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + (int(frac.ljust(3, "0")) / 1000 if frac else 0.0)


# ----------------------------------------------------------------------- VTT / SRT --
def _parse_cues(text: str, name: str) -> ParsedTranscript:
    """WebVTT and SRT share the cue shape: [id] / timing line / text lines / blank."""
    lines = text.splitlines()
    warnings: list[str] = []
    utts: list[Utterance] = []
    unlabeled = 0
    i = 0
    if lines and lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        i = 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block_start = i
        block: list[tuple[int, str]] = []
        while i < len(lines) and lines[i].strip():
            block.append((i + 1, lines[i]))
            i += 1
        first = block[0][1].strip()
        if first.startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_idx = next((k for k, (_, ln) in enumerate(block[:2]) if "-->" in ln), None)
        if timing_idx is None:
            warnings.append(f"line {block_start + 1}: no cue timing ('00:00:01.000 --> 00:00:02.000'); skipped")
            continue
        lineno, timing = block[timing_idx]
        m = _CUE_TIMING.match(timing)
        if not m:
            warnings.append(f"line {lineno}: malformed cue timing {timing.strip()!r}; skipped")
            continue
        start, end = _ts(m.groups()[:4]), _ts(m.groups()[4:])
        if end < start:
            warnings.append(f"line {lineno}: cue ends before it starts; skipped")
            continue
        body = "\n".join(ln for _, ln in block[timing_idx + 1 :])
        parts = _cue_speakers(body)
        if not parts:
            warnings.append(f"line {lineno}: cue has no text; skipped")
            continue
        if any(spk is None for spk, _ in parts):
            unlabeled += 1
        _spread(utts, parts, start, end)
    if unlabeled:
        warnings.append(f"{unlabeled} cue(s) in {name} have no speaker label; attributed to speaker 'S1'")
    utts.sort(key=lambda u: (u.start, u.end))
    return ParsedTranscript(_renumber(utts), warnings, None)


def _cue_speakers(body: str) -> list[tuple[str | None, str]]:
    """[(speaker or None, text)] of one cue: ``<v Name>`` voice spans or ``Name: text``."""
    out: list[tuple[str | None, str]] = []
    if "<v" in body:
        for m in _VOICE.finditer(body):
            txt = _clean(m.group(2))
            if txt:
                out.append((m.group(1).strip(), txt))
        return out
    for line in body.splitlines():
        txt = _clean(line)
        if not txt:
            continue
        m = _SPEAKER_LINE.match(txt)
        if m and _plausible_speaker(m.group(1)):
            out.append((m.group(1).strip(), m.group(2).strip()))
        elif out:
            out[-1] = (out[-1][0], f"{out[-1][1]} {txt}")
        else:
            out.append((None, txt))
    return out


def _clean(text: str) -> str:
    return normalize(_TAG.sub("", text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def _spread(utts: list[Utterance], parts: list[tuple[str | None, str]], start: float, end: float) -> None:
    """Split one cue's time among its speakers in proportion to their words."""
    weights = [max(count_words(t), 1) for _, t in parts]
    total = sum(weights)
    t = start
    for (spk, txt), w in zip(parts, weights):
        dur = (end - start) * w / total
        utts.append(Utterance(id="", speaker=spk or "S1", start=round(t, 3), end=round(t + dur, 3), text=txt))
        t += dur


def _plausible_speaker(name: str) -> bool:
    name = name.strip()
    return bool(name) and len(name.split()) <= 4 and "http" not in name.lower() and not name.isdigit()


# --------------------------------------------------------------------------- JSON --
def _parse_json(text: str, name: str) -> ParsedTranscript:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno})", detail=exc.msg) from exc
    language = None
    role_hints: dict[str, str] = {}
    if isinstance(data, dict):
        if "utterances" not in data:
            raise InputError(
                f"{name}: JSON object has no 'utterances' list",
                detail="expected an analysis JSON, {\"utterances\": [...]} or a list of utterances",
            )
        language = data.get("language") if isinstance(data.get("language"), str) else None
        for spk in data.get("speakers") or []:
            if isinstance(spk, dict) and spk.get("role") in ("rep", "customer") and isinstance(spk.get("id"), str):
                role_hints[spk["id"]] = spk["role"]
        data = data["utterances"]
    if not isinstance(data, list):
        raise InputError(f"{name}: 'utterances' must be a list")
    warnings: list[str] = []
    utts: list[Utterance] = []
    for k, item in enumerate(data, start=1):
        problem = _json_problem(item)
        if problem:
            warnings.append(f"utterance #{k}: {problem}; skipped")
            continue
        arousal = item.get("arousal")
        utts.append(
            Utterance(
                id=str(item.get("id") or ""),
                speaker=str(item["speaker"]),
                start=float(item["start"]),
                end=float(item["end"]),
                text=normalize(item["text"]),
                arousal=float(arousal) if isinstance(arousal, (int, float)) and not isinstance(arousal, bool) else None,
            )
        )
    utts.sort(key=lambda u: (u.start, u.end))
    ids = [u.id for u in utts]
    if not (all(ids) and len(set(ids)) == len(ids)):
        if any(ids):
            warnings.append("utterance ids missing or repeated; renumbered u1, u2, ...")
        utts = _renumber(utts)
    return ParsedTranscript(utts, warnings, language, True, role_hints)


def _json_problem(item: object) -> str | None:
    if not isinstance(item, dict):
        return "not an object"
    for key in ("speaker", "text"):
        if not isinstance(item.get(key), (str, int)) or not str(item.get(key)).strip():
            return f"missing or empty '{key}'"
    for key in ("start", "end"):
        v = item.get(key)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            return f"missing or invalid '{key}' (seconds expected)"
    if item["end"] < item["start"]:
        return "'end' is before 'start'"
    return None


# ---------------------------------------------------------------------------- TXT --
def _parse_txt(text: str, name: str) -> ParsedTranscript:
    warnings: list[str] = []
    rows: list[tuple[float | None, str, str]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        stamp = None
        tm = _TXT_TIME.match(line)
        if tm and tm.end() < len(line):
            stamp = _ts(tm.groups())
            line = line[tm.end() :]
        m = _SPEAKER_LINE.match(line)
        if not m or not _plausible_speaker(m.group(1)) or not m.group(2).strip():
            warnings.append(f"line {lineno}: not 'Speaker: text'; skipped: {line[:60]!r}")
            continue
        rows.append((stamp, m.group(1).strip(), normalize(m.group(2))))
    timed = bool(rows) and all(r[0] is not None for r in rows)
    if rows and not timed and any(r[0] is not None for r in rows):
        warnings.append("only some lines have timestamps; all times estimated from word counts")
    utts: list[Utterance] = []
    t = 0.0
    for k, (stamp, spk, txt) in enumerate(rows):
        dur = max(count_words(txt), 1) * 60.0 / SYNTH_WPM
        if timed:
            start = float(stamp)  # type: ignore[arg-type]
            nxt = rows[k + 1][0] if k + 1 < len(rows) else None
            end = min(start + dur, nxt) if nxt is not None and nxt > start else start + dur
        else:
            start, end = t, t + dur
            t = end
        utts.append(Utterance(id="", speaker=spk, start=round(start, 3), end=round(end, 3), text=txt))
    if rows and not timed:
        warnings.append(
            f"{name} has no timestamps: times estimated from word counts at {SYNTH_WPM:.0f} words/min; "
            "patience and words per minute are not reported"
        )
    utts.sort(key=lambda u: u.start)
    return ParsedTranscript(_renumber(utts), warnings, None, timed)


def _renumber(utts: list[Utterance]) -> list[Utterance]:
    for k, u in enumerate(utts, start=1):
        u.id = f"u{k}"
    return utts
