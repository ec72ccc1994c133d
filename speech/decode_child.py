"""The child side of :mod:`speech.sandbox`: ``python -m speech.decode_child`` reads one
JSON request on stdin, limits itself (CPU seconds, address space, file size, no core
dumps), refuses files over the channel and sample-rate caps, decodes, writes the samples
(float32, channel-major) to the requested file and answers one JSON line on stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from speech import errors as speech_errors
from speech.decode import decode_in_process, probe
from speech.types import SAMPLE_RATE


def _limit_self(limits: dict, max_bytes: int) -> None:
    import resource

    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    mem = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child() -> int:
    req = json.loads(sys.stdin.read())
    limits = req["limits"]
    path, out = Path(req["path"]), req["out"]
    max_bytes = int((req["max_duration_s"] + 60) * SAMPLE_RATE * 4 * int(limits["max_channels"])) + (1 << 20)
    _limit_self(limits, max_bytes)
    try:
        probe(path, max_channels=int(limits["max_channels"]), max_sample_rate=int(limits["max_sample_rate"]))
        audio = decode_in_process(path, max_duration_s=float(req["max_duration_s"]), tmp_dir=str(Path(out).parent))
        step = 60 * SAMPLE_RATE
        with open(out, "wb") as fh:
            for c in range(audio.channels):
                for a in range(0, audio.samples.shape[1], step):
                    fh.write(np.ascontiguousarray(audio.samples[c, a : a + step], dtype=np.float32).tobytes())
    except speech_errors.SpeechError as exc:
        reply = {"error": type(exc).__name__, "message": exc.message, "detail": exc.detail}
    except MemoryError:
        reply = {"error": "TooLargeError", "message": f"{path.name} needs more memory to decode than allowed"}
    else:
        reply = {
            "channels": audio.channels,
            "samples": int(audio.samples.shape[1]),
            "source_sample_rate": audio.source_sample_rate,
            "source_channels": audio.source_channels,
            "warnings": audio.warnings,
        }
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover - runs in the child
    raise SystemExit(_child())
