"""Speed and memory of the whole ``analyze`` against bare faster-whisper.

* Speed: a recording of at least 3 minutes is built by concatenating the real English
  clips of ../shared/data/audio (the two-person phone call sample.wav, JFK, LibriSpeech,
  read sentences) with short pauses, cycling until it is long enough. In the same run,
  each side runs in its own fresh process (models loaded and warmed up on jfk.flac
  before the clock starts), alternating bare/pipeline, ``--runs`` times:
  - bare: ``WhisperModel(bundled dir, int8).transcribe(file, beam 5, VAD, word
    timestamps)`` with all segments consumed;
  - pipeline: ``CallAnalyzer.analyze(file)`` (decode, transcribe, diarize, utterances,
    arousal, text analysis).
  Reported: median wall seconds, real-time factor (seconds / audio seconds), median CPU
  seconds of the process, the pipeline's overhead over bare in wall time and in CPU time
  (target <= 25 %; CPU time is far less sensitive to other jobs on the machine), peak RSS
  of each process, and the pipeline's median per-stage timings.
* Memory (``--memory``): peak RSS of decoding + mono mix + chunk iteration (what the
  pipeline holds around transcription, chunk by chunk) for a 10-minute and a 2-hour
  recording made by looping sample.wav, each in its own process.

    .venv/bin/python benchmarks/speech_speed.py [--runs 2] [--memory] [--analyze-memory 900 1800]

Other jobs on the machine slow both sides alike; medians of >= 2 alternating runs are
reported for that reason.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.common import SHARED_DATA, machine, md_table, median, peak_rss_mb, write_results  # noqa: E402

CACHE = Path.home() / ".cache" / "salescoach-models"
CLIPS = [
    "diarization/sample.wav", "wer/jfk.flac", "wer/librispeech-1995-1837-0001.wav",
    *[f"wer/spk{s}_snt{n}.wav" for s in (1, 2) for n in range(1, 6)],
]


# --------------------------------------------------------------------- inputs --
def build_recording(dst: Path, min_seconds: float, audio_dir: Path) -> float:
    """Concatenate real clips (16 kHz mono) with 0.4 s pauses until ``min_seconds``."""
    import numpy as np
    import soundfile as sf

    from speech.decode import decode_audio

    pieces, total, pause = [], 0.0, np.zeros(int(0.4 * 16000), np.float32)
    clips = [decode_audio(audio_dir / c, max_duration_s=3600).mono() for c in CLIPS]
    while total < min_seconds:
        for x in clips:
            pieces += [x, pause]
            total += (len(x) + len(pause)) / 16000
            if total >= min_seconds:
                break
    sf.write(dst, np.concatenate(pieces), 16000, subtype="PCM_16")
    return total


def build_looped(dst: Path, seconds: float, audio_dir: Path) -> None:
    """``sample.wav`` looped to ``seconds``, written block by block as FLAC."""
    import soundfile as sf

    x, sr = sf.read(audio_dir / "diarization" / "sample.wav", dtype="float32")
    with sf.SoundFile(dst, "w", samplerate=sr, channels=1, format="FLAC") as f:
        left = int(seconds * sr)
        while left > 0:
            f.write(x[:left])
            left -= min(len(x), left)


# -------------------------------------------------------------------- workers --
def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its threads so far."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def worker(side: str, path: Path) -> dict:
    from coach.settings import SpeechSettings

    settings = SpeechSettings()
    warm = SHARED_DATA / "audio" / "wer" / "jfk.flac"
    if side == "bare":
        from faster_whisper import WhisperModel

        from speech.models import whisper_model_ref

        model = WhisperModel(whisper_model_ref(settings, CACHE), device="cpu", compute_type="int8")
        opts = {"beam_size": settings.beam_size, "vad_filter": True, "word_timestamps": True}
        list(model.transcribe(str(warm), **opts)[0])
        t0, c0 = time.perf_counter(), cpu_seconds()
        segments, _ = model.transcribe(str(path), **opts)
        words = sum(len(s.words or []) for s in segments)
        return {"seconds": time.perf_counter() - t0, "cpu_seconds": cpu_seconds() - c0, "words": words,
                "peak_rss_mb": peak_rss_mb()}
    if side == "pipeline":
        from speech.pipeline import CallAnalyzer

        analyzer = CallAnalyzer(settings, CACHE)
        analyzer.analyze(warm)
        t0, c0 = time.perf_counter(), cpu_seconds()
        a = analyzer.analyze(path)
        return {
            "seconds": time.perf_counter() - t0, "cpu_seconds": cpu_seconds() - c0,
            "utterances": len(a.utterances), "speakers": len(a.speakers),
            "timings": a.timings, "peak_rss_mb": peak_rss_mb(),
        }
    if side == "memory":
        import numpy as np

        from benchmarks.common import current_rss_mb
        from speech.decode import decode_audio, iter_chunks, mono_mix

        base = current_rss_mb()
        t0 = time.perf_counter()
        audio = decode_audio(path, max_duration_s=4 * 3600)
        mono = mono_mix(audio)
        peak, energy = current_rss_mb(), 0.0
        for _, chunk in iter_chunks(mono, settings.chunk_s):
            energy += float(np.square(chunk).sum())
            peak = max(peak, current_rss_mb())
        return {"duration_s": audio.duration_s, "seconds": time.perf_counter() - t0, "rss_before_mb": base,
                "peak_rss_mb": peak, "growth_mb": peak - base,
                "held_if_in_ram_mb": (audio.samples.size + (mono.size if audio.channels > 1 else 0)) * 4 / 2**20}
    raise SystemExit(f"unknown worker {side}")


def spawn(side: str, path: Path) -> dict:
    res = subprocess.run(
        [sys.executable, __file__, "--worker", side, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    if res.returncode != 0:
        raise SystemExit(f"{side} worker failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------- main --
def main() -> None:
    ap = argparse.ArgumentParser(description="speed and memory of analyze vs bare faster-whisper")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--min-seconds", type=float, default=200.0)
    ap.add_argument("--memory", action="store_true", help="also measure decode memory on 10 min vs 2 h")
    ap.add_argument("--analyze-memory", type=float, nargs="*", metavar="SECONDS",
                    help="peak RSS of the whole analyze on sample.wav looped to these lengths")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--worker", nargs=2, metavar=("SIDE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]))))
        return

    audio_dir = SHARED_DATA / "audio"
    results: dict = {"machine": machine(), "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="salescoach-speed-") as tmp:
        tmp = Path(tmp)
        if not args.skip_speed:
            rec = tmp / "call.wav"
            duration = build_recording(rec, args.min_seconds, audio_dir)
            runs: dict[str, list[dict]] = {"bare": [], "pipeline": []}
            for i in range(args.runs):
                for side in (("bare", "pipeline") if i % 2 == 0 else ("pipeline", "bare")):
                    runs[side].append(spawn(side, rec))
                    print(f"run {i + 1} {side}: {runs[side][-1]['seconds']:.1f} s", file=sys.stderr)
            med = {s: median(r["seconds"] for r in runs[s]) for s in runs}
            med_cpu = {s: median(r["cpu_seconds"] for r in runs[s]) for s in runs}
            stages = sorted({k for r in runs["pipeline"] for k in r["timings"]})
            speed = {
                "audio_seconds": round(duration, 2), "runs": runs, "median_seconds": med,
                "rtf": {s: med[s] / duration for s in med}, "overhead": med["pipeline"] / med["bare"] - 1,
                "median_cpu_seconds": med_cpu, "overhead_cpu": med_cpu["pipeline"] / med_cpu["bare"] - 1,
                "load_average_at_end": os.getloadavg(),
                "peak_rss_mb": {s: max(r["peak_rss_mb"] for r in runs[s]) for s in runs},
                "pipeline_stage_median_s": {k: median(r["timings"].get(k, 0.0) for r in runs["pipeline"]) for k in stages},
            }
            results["speed"] = speed
            print(f"## Speed: {duration:.0f} s recording, median of {args.runs} runs, {os.cpu_count()} CPUs\n")
            print(md_table(
                ["", "median wall s", "RTF", "median CPU s", "peak RSS MB"],
                [[s, med[s], speed["rtf"][s], med_cpu[s], speed["peak_rss_mb"][s]] for s in ("bare", "pipeline")],
            ))
            print(f"\npipeline overhead over bare faster-whisper: wall {speed['overhead'] * 100:.1f} %, "
                  f"CPU time {speed['overhead_cpu'] * 100:.1f} % (target <= 25 %); "
                  f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            print("\nRuns (wall s / CPU s):\n")
            print(md_table(["run", "bare", "pipeline"], [
                [i + 1, f"{b['seconds']:.1f} / {b['cpu_seconds']:.1f}", f"{p['seconds']:.1f} / {p['cpu_seconds']:.1f}"]
                for i, (b, p) in enumerate(zip(runs["bare"], runs["pipeline"]))
            ]))
            print("\nPipeline stages (median s):\n")
            print(md_table(["stage", "seconds"], [[k, v] for k, v in speed["pipeline_stage_median_s"].items()]))
        if args.memory:
            mem = {}
            for label, secs in (("10 min", 600.0), ("2 h", 7200.0)):
                f = tmp / f"loop-{int(secs)}.flac"
                build_looped(f, secs, audio_dir)
                mem[label] = spawn("memory", f)
                f.unlink()
            results["memory"] = mem
            print("\n## Memory: decode + mono mix + chunk iteration (sample.wav looped)\n")
            print(md_table(
                ["recording", "peak RSS MB", "growth MB", "would hold in RAM MB", "seconds"],
                [[k, v["peak_rss_mb"], v["growth_mb"], v["held_if_in_ram_mb"], v["seconds"]] for k, v in mem.items()],
            ))
        if args.analyze_memory:
            whole = {}
            for secs in args.analyze_memory:
                f = tmp / f"loop-{int(secs)}.flac"
                build_looped(f, secs, audio_dir)
                whole[f"{secs:.0f} s"] = spawn("pipeline", f)
                f.unlink()
            results["analyze_memory"] = whole
            print("\n## Memory of the whole analyze (sample.wav looped)\n")
            print(md_table(
                ["recording", "peak RSS MB", "seconds", "stages (s)"],
                [[k, v["peak_rss_mb"], v["seconds"], ", ".join(f"{s} {x:.0f}" for s, x in v["timings"].items())]
                 for k, v in whole.items()],
            ))
    name = "speech_speed" if not args.skip_speed else "speech_memory"
    print(f"\nwritten {write_results(name, results)}")


if __name__ == "__main__":
    main()
