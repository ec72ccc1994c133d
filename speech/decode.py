"""Audio decoding with PyAV (bundled FFmpeg, no system ffmpeg needed).

Any container/codec FFmpeg reads (wav, flac, mp3, m4a/aac, ogg/opus, webm) at any sample
rate becomes float32 at 16 kHz with its channels kept: shape ``(channels, samples)``.

Memory stays bounded for long recordings: frames are resampled and written block by
block; once the decoded audio exceeds ``spill_s`` seconds it is spilled to an unlinked
temp file and returned as a read-only ``np.memmap`` (pages come from the page cache and
can be dropped again with :func:`release`). Later stages then work chunk by chunk
(:func:`iter_chunks`) instead of holding the whole recording in RAM.

Bad input becomes a domain error: empty file (:class:`EmptyInputError`), no audio
samples (:class:`EmptyInputError`), a non-audio file such as text named ``.wav``
(:class:`UnsupportedMediaError`, decided by sniffing the content, not the name),
truncated or undecodable data (:class:`CorruptInputError`), longer than the limit
(:class:`TooLargeError`). A file that decodes partially (cut off mid-stream) gives the
audio that was readable plus a warning in ``DecodedAudio.warnings``.
"""

from __future__ import annotations

import logging
import mmap
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from speech.errors import (
    CorruptInputError,
    DependencyMissingError,
    EmptyInputError,
    TooLargeError,
    UnsupportedMediaError,
)
from speech.types import SAMPLE_RATE, DecodedAudio

if TYPE_CHECKING:  # pragma: no cover
    from speech.sandbox import DecodeLimits

log = logging.getLogger(__name__)

#: decoded audio longer than this is spilled to a memory-mapped temp file
DEFAULT_SPILL_S = 5 * 60.0
#: decoding gives up after this many undecodable packets in a row
_MAX_BAD_PACKETS = 25

# container signatures: (offset, magic, label)
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"RIFF", "wav"),
    (0, b"RF64", "wav"),
    (0, b"fLaC", "flac"),
    (0, b"OggS", "ogg"),
    (0, b"ID3", "mp3"),
    (0, b"\x1a\x45\xdf\xa3", "webm/matroska"),
    (4, b"ftyp", "mp4/m4a"),
    (0, b"FORM", "aiff"),
    (0, b"#!AMR", "amr"),
    (0, b"caff", "caf"),
)


def sniff(head: bytes) -> str | None:
    """Container label from the first bytes, or None when no audio signature matches."""
    for offset, magic, label in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return label
    # MPEG audio (mp3 without ID3) or ADTS AAC frame sync: 11 set bits
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "mpeg/adts"
    return None


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head:
        # UTF-16 text has NULs; accept it only with a BOM
        return head[:2] in (b"\xff\xfe", b"\xfe\xff")
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # a multi-byte char cut at the end of the sniffed block is still text
        if exc.start >= len(head) - 4:
            return True
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    return printable / len(head) > 0.95


def _import_av():
    try:
        import av  # noqa: F401
    except ImportError as exc:  # pragma: no cover - installed with faster-whisper
        raise DependencyMissingError("av", "decoding audio files") from exc
    return av


class _Sink:
    """Collects (channels, n) float32 blocks; spills to per-channel temp files."""

    def __init__(self, channels: int, spill_samples: int, tmp_dir: str | None) -> None:
        self.channels = channels
        self.spill_samples = spill_samples
        self.tmp_dir = tmp_dir
        self.blocks: list[np.ndarray] = []
        self.files: list = []
        self.n = 0

    def write(self, block: np.ndarray) -> None:
        self.n += block.shape[1]
        if self.files:
            for c in range(self.channels):
                self.files[c].write(np.ascontiguousarray(block[c]).tobytes())
            return
        self.blocks.append(block)
        if self.n > self.spill_samples:
            self.files = [
                tempfile.NamedTemporaryFile(prefix="salescoach-audio-", suffix=f".ch{c}", dir=self.tmp_dir, delete=False)
                for c in range(self.channels)
            ]
            for b in self.blocks:
                for c in range(self.channels):
                    self.files[c].write(np.ascontiguousarray(b[c]).tobytes())
            self.blocks = []

    def result(self) -> np.ndarray:
        if not self.files:
            if not self.blocks:
                return np.zeros((self.channels, 0), dtype=np.float32)
            return np.concatenate(self.blocks, axis=1).astype(np.float32, copy=False)
        # channel-major single file: channel 0, then channel 1, ... then map read-only
        first = self.files[0]
        for f in self.files[1:]:
            f.flush()
            f.seek(0)
            shutil.copyfileobj(f, first, 1 << 22)
        first.flush()
        path = first.name
        try:
            arr = np.memmap(path, dtype=np.float32, mode="r", shape=(self.channels, self.n))
        finally:
            self.discard()
        return arr

    def discard(self) -> None:
        for f in self.files:
            try:
                f.close()
                os.unlink(f.name)  # the mapping stays valid on POSIX
            except OSError:  # pragma: no cover - e.g. Windows keeps mapped files
                log.debug("could not remove temp audio file %s", f.name)
        self.files = []


def decode_audio(
    path: str | Path,
    *,
    max_duration_s: float,
    spill_s: float = DEFAULT_SPILL_S,
    tmp_dir: str | None = None,
    isolated: bool = True,
    limits: "DecodeLimits | None" = None,
) -> DecodedAudio:
    """Decode ``path`` to 16 kHz float32 ``(channels, samples)``; see module docstring.

    ``isolated`` (the default for anything a user uploaded) decodes in a child process
    with limits (:mod:`speech.sandbox`): a file that crashes FFmpeg raises
    :class:`speech.sandbox.DecoderCrashedError` here instead of killing the server.
    """
    if isolated:
        from speech.sandbox import decode_in_child

        return decode_in_child(path, max_duration_s=max_duration_s, spill_s=spill_s, tmp_dir=tmp_dir, limits=limits)
    return decode_in_process(path, max_duration_s=max_duration_s, spill_s=spill_s, tmp_dir=tmp_dir)


def probe(path: Path, *, max_channels: int, max_sample_rate: int) -> None:
    """Refuse a file over the channel or sample-rate caps from its header alone."""
    av = _import_av()
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.FFmpegError:
        return  # decode_in_process names the problem
    with container:
        if not container.streams.audio:
            return
        stream = container.streams.audio[0]
        channels = int(stream.channels or 0)
        rate = int(stream.rate or stream.codec_context.sample_rate or 0)
    if channels > max_channels:
        raise UnsupportedMediaError(
            f"{path.name} has {channels} audio channels; at most {max_channels} are supported",
            detail="export the call as mono or stereo",
        )
    if rate > max_sample_rate:
        raise UnsupportedMediaError(
            f"{path.name} has a sample rate of {rate} Hz; at most {max_sample_rate} Hz is supported"
        )


def decode_in_process(
    path: str | Path,
    *,
    max_duration_s: float,
    spill_s: float = DEFAULT_SPILL_S,
    tmp_dir: str | None = None,
) -> DecodedAudio:
    """The decoder itself, in this process: only for trusted files or inside the sandbox."""
    path = Path(path)
    if not path.is_file():
        raise EmptyInputError(f"{path.name}: file not found") if not path.exists() else UnsupportedMediaError(
            f"{path.name} is not a file"
        )
    size = path.stat().st_size
    if size == 0:
        raise EmptyInputError(f"{path.name} is empty (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(4096)
    kind = sniff(head)
    if kind is None and _looks_like_text(head):
        raise UnsupportedMediaError(
            f"{path.name} is a text file, not audio",
            detail="transcripts must be named .txt, .vtt, .srt or .json",
        )

    av = _import_av()
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.FFmpegError as exc:
        if kind is None:
            raise UnsupportedMediaError(f"{path.name} is not a recognised audio format", detail=_reason(exc)) from exc
        raise CorruptInputError(f"{path.name} looks like {kind} but cannot be read (truncated or corrupt)", detail=_reason(exc)) from exc

    with container:
        if not container.streams.audio:
            if kind is None:
                raise UnsupportedMediaError(f"{path.name} is not a recognised audio format")
            raise EmptyInputError(f"{path.name} contains no audio stream")
        stream = container.streams.audio[0]
        src_rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        src_channels = int(stream.channels or 0)
        declared = _declared_duration(container, stream)
        if declared is not None and declared > max_duration_s:
            raise TooLargeError(
                f"{path.name} is {fmt_duration(declared)} long; the limit is {fmt_duration(max_duration_s)}",
                detail="set SALESCOACH_SPEECH__MAX_DURATION_S to raise it",
            )
        if src_channels <= 0:
            raise CorruptInputError(f"{path.name}: audio stream has no channels")
        layout = stream.layout.name if stream.layout and stream.layout.name else av.AudioLayout(src_channels).name
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
        sink = _Sink(src_channels, int(spill_s * SAMPLE_RATE), tmp_dir)
        max_samples = int(max_duration_s * SAMPLE_RATE)
        warnings: list[str] = []
        bad, bad_total, packets = 0, 0, 0
        try:
            for packet in container.demux(stream):
                packets += 1
                try:
                    frames = packet.decode()
                except (av.FFmpegError, ValueError) as exc:
                    bad += 1
                    bad_total += 1
                    if bad > _MAX_BAD_PACKETS:
                        if sink.n == 0:
                            raise CorruptInputError(f"{path.name}: audio data cannot be decoded", detail=_reason(exc)) from exc
                        warnings.append(
                            f"decoding stopped at {sink.n / SAMPLE_RATE:.1f} s: the rest of the file is corrupt"
                        )
                        break
                    continue
                bad = 0
                for frame in frames:
                    for out in resampler.resample(frame):
                        sink.write(out.to_ndarray().reshape(src_channels, -1).astype(np.float32, copy=False))
                if sink.n > max_samples:
                    raise TooLargeError(
                        f"{path.name} is longer than the limit of {fmt_duration(max_duration_s)}",
                        detail="set SALESCOACH_SPEECH__MAX_DURATION_S to raise it",
                    )
            for out in resampler.resample(None):
                sink.write(out.to_ndarray().reshape(src_channels, -1).astype(np.float32, copy=False))
        except av.FFmpegError as exc:  # demuxer failure (truncated container)
            if sink.n == 0:
                sink.discard()
                raise CorruptInputError(f"{path.name} is truncated or corrupt", detail=_reason(exc)) from exc
            warnings.append(f"decoding stopped at {sink.n / SAMPLE_RATE:.1f} s: {_reason(exc)}")
        except BaseException:
            sink.discard()
            raise

    if sink.n == 0:
        sink.discard()
        if bad_total:
            raise CorruptInputError(f"{path.name}: none of its {packets} audio packets could be decoded")
        raise EmptyInputError(f"{path.name} contains no audio (zero length)")
    if bad_total and not any("decoding stopped" in w for w in warnings):
        warnings.append(f"{bad_total} corrupt audio packet(s) were skipped")
    duration = sink.n / SAMPLE_RATE
    if (bad_total or warnings) and declared and duration < 0.1 * declared:
        sink.discard()
        raise CorruptInputError(
            f"{path.name} is corrupt: only {duration:.1f} s of its {declared:.1f} s could be decoded"
        )
    if declared is not None and declared > 2.0 and duration < 0.9 * declared - 1.0:
        warnings.append(
            f"the file looks truncated: decoded {duration:.1f} s of the {declared:.1f} s its header declares"
        )
    samples = sink.result()
    for w in warnings:
        log.warning("%s: %s", path.name, w)
    return DecodedAudio(
        samples=samples,
        sample_rate=SAMPLE_RATE,
        source_sample_rate=src_rate,
        source_channels=src_channels,
        duration_s=duration,
        warnings=warnings,
    )


def _reason(exc: BaseException) -> str:
    """FFmpeg's words for a failure, without the server path it quotes."""
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(": '/")[0].strip() or type(exc).__name__


def fmt_duration(seconds: float) -> str:
    """``42 s``, ``12.5 min``, ``2.0 h``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _declared_duration(container, stream) -> float | None:
    try:
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / 1_000_000
    except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - odd metadata
        pass
    return None


# ------------------------------------------------------------------ bounded helpers --
def is_mapped(arr: np.ndarray) -> bool:
    """True when ``arr`` (or the array it views) is a file-backed memmap."""
    base = arr
    while base is not None:
        if isinstance(base, np.memmap) or isinstance(base, mmap.mmap):
            return True
        base = getattr(base, "base", None)
    return False


def release(arr: np.ndarray) -> None:
    """Drop the resident pages of a memmapped array from this process (no-op otherwise).

    The data stays in the page cache / file; the next access faults it back in. Called
    between chunks so resident memory does not grow with the recording's length.
    """
    base = arr
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None) if not isinstance(base, np.memmap) else getattr(base, "_mmap", None)
    if isinstance(base, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        try:
            base.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):  # pragma: no cover - closed or unsupported
            pass


def mono_mix(audio: DecodedAudio, *, block_s: float = 60.0, tmp_dir: str | None = None) -> np.ndarray:
    """The mono mix of ``audio``, computed block by block when it is memory-mapped."""
    if audio.channels == 1:
        return audio.samples[0]
    if not is_mapped(audio.samples):
        return audio.samples.mean(axis=0).astype(np.float32, copy=False)
    n = audio.samples.shape[1]
    f = tempfile.NamedTemporaryFile(prefix="salescoach-mono-", dir=tmp_dir, delete=False)
    try:
        step = int(block_s * SAMPLE_RATE)
        for a in range(0, n, step):
            f.write(audio.samples[:, a : a + step].mean(axis=0).astype(np.float32).tobytes())
            release(audio.samples)
        f.flush()
        out = np.memmap(f.name, dtype=np.float32, mode="r", shape=(n,))
    finally:
        f.close()
        os.unlink(f.name)
    return out


def iter_chunks(samples: np.ndarray, chunk_s: float, *, search_s: float = 5.0) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(offset_s, chunk)`` pieces of about ``chunk_s`` seconds of mono audio.

    Each cut is moved to the quietest 30 ms frame of the last ``search_s`` seconds before
    the nominal boundary, so words are rarely split. Chunks are in-RAM copies; the
    memmapped source's pages are released after each one.
    """
    n = int(samples.shape[-1])
    step = max(int(chunk_s * SAMPLE_RATE), SAMPLE_RATE)
    if n <= step + int(search_s * SAMPLE_RATE):
        yield 0.0, np.asarray(samples, dtype=np.float32)
        return
    frame = int(0.03 * SAMPLE_RATE)
    start = 0
    while start < n:
        end = start + step
        if end + int(search_s * SAMPLE_RATE) >= n:
            end = n
        else:
            lo = end - int(search_s * SAMPLE_RATE)
            win = np.asarray(samples[lo:end], dtype=np.float32)
            frames = win[: len(win) // frame * frame].reshape(-1, frame)
            quiet = int(np.argmin((frames**2).mean(axis=1)))
            end = lo + quiet * frame + frame // 2
        chunk = np.array(samples[start:end], dtype=np.float32)
        release(samples)
        yield start / SAMPLE_RATE, chunk
        start = end
