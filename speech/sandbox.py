"""Decoding untrusted audio in a child process with limits.

FFmpeg (through PyAV) parses whatever a user uploads, and a hostile or broken file can
crash it (an 8-channel WAV segfaults ``AudioFrame.to_ndarray``), spin it or make it eat
memory. A crash inside the server process would take every running job with it, so
:func:`decode_in_child` runs :func:`speech.decode.decode_in_process` in a fresh Python
process (``python -m speech.decode_child``), which first limits itself (CPU seconds, address
space, output file size) and refuses files over the channel and sample-rate caps before
decoding a single packet.

The child writes the samples (float32, channel-major) to a file in ``tmp_dir`` and its
metadata as one JSON line on stdout; the parent maps or reads that file. A domain error in
the child comes back as the same error class; a child killed by a signal or a limit raises
:class:`DecoderCrashedError`, which callers treat as final (the file is not retried).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from speech import errors as speech_errors
from speech.errors import CorruptInputError
from speech.types import SAMPLE_RATE, DecodedAudio

log = logging.getLogger(__name__)


class DecoderCrashedError(CorruptInputError):
    """The decoder process died on this file (crash, CPU or memory limit)."""

    code = "decoder_crashed"


@dataclass(frozen=True)
class DecodeLimits:
    """Caps applied to one decode of an untrusted file."""

    max_channels: int = 6
    max_sample_rate: int = 192_000
    #: CPU seconds the child may use (decoding 4 h of compressed audio takes ~1-2 min)
    cpu_s: int = 600
    #: address space of the child in MiB (numpy + PyAV + FFmpeg buffers)
    memory_mb: int = 4096
    #: wall-clock seconds before the child is killed
    wall_s: float = 900.0


#: the limits used when a caller gives none
DEFAULT_LIMITS = DecodeLimits()


def decode_in_child(
    path: str | Path,
    *,
    max_duration_s: float,
    spill_s: float,
    tmp_dir: str | None = None,
    limits: DecodeLimits | None = None,
) -> DecodedAudio:
    """:func:`speech.decode.decode_in_process` run in a limited child process."""
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    fd, out = tempfile.mkstemp(prefix="salescoach-decoded-", suffix=".f32", dir=tmp_dir)
    os.close(fd)
    request = {"path": str(path), "out": out, "max_duration_s": max_duration_s, "limits": asdict(limits)}
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")}
    env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    try:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "speech.decode_child"],
                input=json.dumps(request).encode(),
                capture_output=True,
                timeout=limits.wall_s,
                cwd=str(Path(__file__).resolve().parent.parent),
                env=env,
            )
        except subprocess.TimeoutExpired as exc:
            raise DecoderCrashedError(
                f"{path.name}: decoding took longer than {limits.wall_s:.0f} s and was stopped"
            ) from exc
        reply = _reply(proc.stdout)
        if proc.returncode != 0 or reply is None:
            raise DecoderCrashedError(f"{path.name} could not be decoded: {_death(proc.returncode)}",
                                      detail="the file was set aside and will not be retried")
        if "error" in reply:
            cls = getattr(speech_errors, reply["error"], None)
            if not (isinstance(cls, type) and issubclass(cls, speech_errors.SpeechError)):
                cls = CorruptInputError
            raise cls(reply["message"], detail=reply.get("detail"))
        channels, n = int(reply["channels"]), int(reply["samples"])
        if n * channels * 4 != os.path.getsize(out):
            raise DecoderCrashedError(f"{path.name}: the decoder returned incomplete audio")
        if n <= spill_s * SAMPLE_RATE:
            samples = np.fromfile(out, dtype=np.float32).reshape(channels, n)
        else:
            samples = np.memmap(out, dtype=np.float32, mode="r", shape=(channels, n))
        return DecodedAudio(
            samples=samples,
            sample_rate=SAMPLE_RATE,
            source_sample_rate=int(reply["source_sample_rate"]),
            source_channels=int(reply["source_channels"]),
            duration_s=n / SAMPLE_RATE,
            warnings=list(reply.get("warnings") or []),
        )
    finally:
        try:
            os.unlink(out)  # a memmap stays valid on POSIX
        except OSError:  # pragma: no cover - Windows keeps mapped files
            log.debug("could not remove %s", out)


def _reply(stdout: bytes) -> dict | None:
    for line in reversed(stdout.decode("utf-8", "replace").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def _death(returncode: int) -> str:
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU or sig == signal.SIGKILL:
            return "the decoder ran out of its time or memory allowance"
        try:
            name = signal.Signals(sig).name
        except ValueError:  # pragma: no cover
            name = str(sig)
        return f"the audio decoder crashed on it ({name})"
    if returncode == 0:
        return "the audio decoder gave no answer"
    return "the audio decoder failed on it (a malformed or hostile file)"
