"""Diarization benchmark: DER (0.25 s collar) on ../shared/data/audio/diarization, the
naive sliding-window baseline in the same run, speaker-count estimation on mixtures of
the shared clips, and the time our speaker/prosody stages add over bare Whisper.

    .venv/bin/python benchmarks/diarization.py            # Markdown table + JSON
    .venv/bin/python benchmarks/diarization.py --no-cache # re-run Whisper for the words

Whisper words are cached (JSON in the temp dir, keyed by the audio and the transcriber
options) so that iterating on clustering does not re-run Whisper. Results go to
benchmarks/results/diarization.json. The helpers here (``load_audio``, ``asr_words``,
``mixtures``, ``naive_baseline``) are also used by tests/integration/test_diarization.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore", message=".*pkg_resources.*")

from benchmarks.der import Segment, load_rttm, score  # noqa: E402
from speech.types import SAMPLE_RATE, DecodedAudio, Word  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "audio"
DIAR = SHARED / "diarization"
MODEL_CACHE = Path(os.environ.get("SALESCOACH_TEST_MODEL_CACHE", Path.home() / ".cache" / "salescoach-models"))
WORDS_CACHE = Path(tempfile.gettempdir()) / "salescoach-asr-words"


# ------------------------------------------------------------------ audio + words --
def load_audio(path: str | Path) -> np.ndarray:
    """(channels, samples) float32 at 16 kHz."""
    import soundfile as sf

    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x.T
    if sr != SAMPLE_RATE:
        import librosa

        x = np.stack([librosa.resample(c, orig_sr=sr, target_sr=SAMPLE_RATE) for c in x])
    return np.ascontiguousarray(x)


def decoded(samples: np.ndarray) -> DecodedAudio:
    samples = samples if samples.ndim == 2 else samples[None]
    return DecodedAudio(samples, SAMPLE_RATE, SAMPLE_RATE, samples.shape[0], samples.shape[1] / SAMPLE_RATE)


_transcriber = None


def transcriber():
    global _transcriber
    if _transcriber is None:
        from coach.settings import SpeechSettings
        from speech.transcribe import Transcriber

        _transcriber = Transcriber(SpeechSettings(), MODEL_CACHE)
    return _transcriber


def asr_words(mono: np.ndarray, *, use_cache: bool = True) -> list[Word]:
    """Whisper words of ``mono`` (bundled base model, the pipeline's options), cached."""
    t = transcriber()
    key = hashlib.sha1(np.ascontiguousarray(mono, dtype=np.float32).tobytes())
    key.update(json.dumps(t.transcribe_options(), sort_keys=True).encode())
    path = WORDS_CACHE / f"{key.hexdigest()}.json"
    if use_cache and path.exists():
        return [Word(**w) for w in json.loads(path.read_text())]
    words = t.transcribe(np.ascontiguousarray(mono, dtype=np.float32)).words
    for w in words:
        w.speaker = None
    WORDS_CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([dataclasses.asdict(w) for w in words]))
    return words


def fresh(words: list[Word]) -> list[Word]:
    return [Word(w.start, w.end, w.text, w.probability) for w in words]


# --------------------------------------------------------------------- mixtures --
def _peak(x: np.ndarray) -> np.ndarray:
    return (0.5 * x / (np.abs(x).max() + 1e-9)).astype(np.float32)


def mixtures() -> dict[str, tuple[np.ndarray, list[Segment]]]:
    """Mono conversations stitched from the shared clips (0.3 s gaps, peak-levelled),
    with their reference turns: 1 to 4 speakers, English and German."""

    def mono(rel: str) -> np.ndarray:
        return load_audio(SHARED / rel).mean(axis=0)

    jfk = mono("wer/jfk.flac")
    hop = SAMPLE_RATE // 100
    lo, hi = int(4.5 * SAMPLE_RATE), int(6.5 * SAMPLE_RATE)
    frames = np.array([np.sqrt(np.mean(jfk[i : i + 1600] ** 2)) for i in range(lo, hi, hop)])
    cut = lo + int(frames.argmin()) * hop + 800  # the quietest spot between 4.5 and 6.5 s
    spk = {s: [mono(f"wer/{s}_snt{i}.wav") for i in range(1, 6)] for s in ("spk1", "spk2")}
    emo = {f: mono(f"emotion/{f}.wav") for f in (
        "08a02Fe", "08b02Wd", "08a05Nb", "08b03Tc", "03b01Wa", "13b02Fb", "03a04Fd", "13b10Nc", "03a07Nc", "13b03Td", "15b10Nc", "15b09Ta")}
    lib = mono("wer/librispeech-1995-1837-0001.wav")
    plans: dict[str, list[tuple[str, np.ndarray]]] = {
        "1 spk: jfk": [("jfk", jfk)],
        "1 spk: librispeech": [("lib", lib)],
        "1 spk: spk1 x5": [("s1", x) for x in spk["spk1"]],
        "1 spk: emodb 08 x4 emotions": [("e08", emo[f]) for f in ("08a02Fe", "08b02Wd", "08a05Nb", "08b03Tc")],
        "2 spk: spk1/spk2": [(s, spk[s][i]) for i in range(5) for s in ("spk1", "spk2")],
        "2 spk: emodb 03/13": [("e03" if f.startswith("03") else "e13", emo[f]) for f in ("03b01Wa", "13b02Fb", "03a04Fd", "13b10Nc", "03a07Nc", "13b03Td")],
        "3 spk: spk1/spk2/jfk": [("s1", spk["spk1"][0]), ("s2", spk["spk2"][0]), ("jfk", jfk[:cut]), ("s1", spk["spk1"][1]),
                                  ("s2", spk["spk2"][1]), ("jfk", jfk[cut:]), ("s1", spk["spk1"][2]), ("s2", spk["spk2"][2])],
        "3 spk: emodb 03/08/15": [("e03", emo["03b01Wa"]), ("e08", emo["08a02Fe"]), ("e15", emo["15b10Nc"]), ("e03", emo["03a04Fd"]),
                                  ("e08", emo["08b02Wd"]), ("e15", emo["15b09Ta"])],
        "4 spk: spk1/spk2/jfk/libri": [("s1", spk["spk1"][0]), ("s2", spk["spk2"][0]), ("jfk", jfk[:cut]), ("lib", lib[:70000]),
                                       ("s1", spk["spk1"][1]), ("s2", spk["spk2"][1]), ("jfk", jfk[cut:]), ("s1", spk["spk1"][3])],
    }
    gap = np.zeros(int(0.3 * SAMPLE_RATE), dtype=np.float32)
    out = {}
    for name, parts in plans.items():
        chunks, ref, t = [], [], 0.0
        for who, x in parts:
            x = _peak(x)
            chunks += [x, gap]
            ref.append((t, t + len(x) / SAMPLE_RATE, who))
            t += (len(x) + len(gap)) / SAMPLE_RATE
        out[name] = (np.concatenate(chunks), ref)
    return out


# ---------------------------------------------------------------------- baseline --
def naive_baseline(mono: np.ndarray, n_speakers: int = 2, win_s: float = 1.5, hop_s: float = 0.75) -> list[Segment]:
    """The baseline the design brief named: 1.5 s windows every 0.75 s over the whole recording
    (speech or not), one d-vector each, k-means into 2 clusters; each window labels
    its central hop."""
    from sklearn.cluster import KMeans

    from speech.voiceprint import embed_windows, mel_frames

    dur = len(mono) / SAMPLE_RATE
    centers = np.arange(win_s / 2, max(dur - win_s / 2, win_s / 2) + 1e-9, hop_s)
    emb = embed_windows(mel_frames(mono), centers, frames=int(win_s * 100))
    labels = KMeans(n_speakers, n_init=10, random_state=0).fit_predict(emb) if len(emb) > n_speakers else np.zeros(len(emb), int)
    return [(max(c - hop_s / 2, 0.0), min(c + hop_s / 2, dur), f"B{lab}") for c, lab in zip(centers, labels)]


def hyp_segments(turns) -> list[Segment]:
    return [(t.start, t.end, t.speaker) for t in turns]


# -------------------------------------------------------------------------- main --
def run(use_cache: bool = True) -> dict:
    from speech.diarize import diarize

    rows: list[dict] = []

    def record(clip: str, method: str, ref: list[Segment], hyp: list[Segment], seconds: float, found: int) -> None:
        r = score(ref, hyp, collar=0.25)
        rows.append({
            "clip": clip, "method": method, "speakers_ref": len({s for *_, s in ref}), "speakers_found": found,
            "der": r.der, "missed": r.missed, "false_alarm": r.false_alarm, "confusion": r.confusion, "seconds": seconds,
        })

    # mono two-person call
    sample = load_audio(DIAR / "sample.wav")
    ref = load_rttm(DIAR / "sample.rttm")
    words = asr_words(sample.mean(axis=0), use_cache=use_cache)
    for label, n in (("ours (count estimated)", None), ("ours (--speakers 2)", 2)):
        w = fresh(words)
        t0 = time.perf_counter()
        res = diarize(decoded(sample), w, num_speakers=n)
        record("sample.wav (mono)", label, ref, hyp_segments(res.turns), time.perf_counter() - t0, len(res.speaker_embeddings))
    t0 = time.perf_counter()
    base = naive_baseline(sample.mean(axis=0))
    record("sample.wav (mono)", "naive 1.5 s windows + 2 clusters", ref, base, time.perf_counter() - t0, 2)

    # stereo: one speaker per channel
    stereo = load_audio(DIAR / "stereo_diarization.wav")
    sref = load_rttm(DIAR / "stereo_diarization.channel_energy.rttm")
    swords = asr_words(stereo.mean(axis=0), use_cache=use_cache)
    t0 = time.perf_counter()
    res = diarize(decoded(stereo), fresh(swords))
    record("stereo_diarization.wav", "ours (stereo channels)", sref, hyp_segments(res.turns), time.perf_counter() - t0, len({t.speaker for t in res.turns}))
    t0 = time.perf_counter()
    res = diarize(decoded(stereo.mean(axis=0)), fresh(swords))
    record("stereo_diarization.wav", "ours on the mono mix", sref, hyp_segments(res.turns), time.perf_counter() - t0, len(res.speaker_embeddings))
    t0 = time.perf_counter()
    record("stereo_diarization.wav", "naive on the mono mix", sref, naive_baseline(stereo.mean(axis=0)), time.perf_counter() - t0, 2)

    # speaker count on stitched mixtures
    counts = []
    for name, (mono, mref) in mixtures().items():
        w = asr_words(mono, use_cache=use_cache)
        t0 = time.perf_counter()
        res = diarize(decoded(mono), fresh(w))
        dt = time.perf_counter() - t0
        r = score(mref, hyp_segments(res.turns))
        counts.append({"mixture": name, "speakers_ref": len({s for *_, s in mref}), "speakers_found": len(res.speaker_embeddings),
                       "der": r.der, "confusion": r.confusion, "seconds": dt})

    timing = stage_timing(sample.mean(axis=0), words)
    return {"der": rows, "speaker_count": counts, "timing_30s": timing}


def stage_timing(mono: np.ndarray, words: list[Word]) -> dict:
    """Seconds of bare Whisper vs our stages on the same 30 s clip (one run each)."""
    from speech.diarize import diarize
    from speech.prosody import utterance_arousal
    from speech.types import Utterance

    t = transcriber()
    t.model  # load outside the timing
    t0 = time.perf_counter()
    t.transcribe(mono)
    whisper_s = time.perf_counter() - t0
    w = fresh(words)
    t0 = time.perf_counter()
    res = diarize(decoded(mono), w)
    diar_s = time.perf_counter() - t0
    utts = [Utterance(id=f"u{i}", speaker=turn.speaker, start=turn.start, end=turn.end,
                      text=" ".join(x.text for x in w if turn.start <= x.start < turn.end + 1e-6)) for i, turn in enumerate(res.turns)]
    t0 = time.perf_counter()
    utterance_arousal(mono, utts)
    pros_s = time.perf_counter() - t0
    return {"audio_s": len(mono) / SAMPLE_RATE, "whisper_s": whisper_s, "diarize_s": diar_s, "arousal_s": pros_s,
            "overhead_ratio": (diar_s + pros_s) / whisper_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-cache", action="store_true", help="re-run Whisper instead of using cached words")
    args = ap.parse_args()
    from benchmarks.common import machine, md_table, write_results

    # warm the models so the first timed call does not pay for loading them
    from speech.voiceprint import embed_windows, mel_frames

    embed_windows(mel_frames(np.zeros(SAMPLE_RATE, dtype=np.float32)), np.array([0.5]))
    data = run(use_cache=not args.no_cache)
    print("## Diarization error rate (collar 0.25 s, overlap scored)\n")
    print(md_table(["clip", "method", "ref spk", "found", "DER", "missed", "false alarm", "confusion", "s"],
                   [[r["clip"], r["method"], r["speakers_ref"], r["speakers_found"], r["der"], r["missed"], r["false_alarm"], r["confusion"], r["seconds"]] for r in data["der"]]))
    print("\n## Speaker count on stitched mixtures of the shared clips\n")
    print(md_table(["mixture", "ref spk", "found", "DER", "confusion", "s"],
                   [[c["mixture"], c["speakers_ref"], c["speakers_found"], c["der"], c["confusion"], c["seconds"]] for c in data["speaker_count"]]))
    t = data["timing_30s"]
    print(f"\n## Time on a {t['audio_s']:.0f} s clip\n")
    print(md_table(["bare Whisper s", "diarize s", "arousal s", "(diarize+arousal)/Whisper"],
                   [[t["whisper_s"], t["diarize_s"], t["arousal_s"], t["overhead_ratio"]]]))
    data["machine"] = machine()
    print(f"\nwrote {write_results('diarization', data)}")


if __name__ == "__main__":
    main()
