"""Transcription accuracy: WER (English) and CER (Mandarin) on ../shared/data/audio/wer.

Baseline, in the same run: bare faster-whisper on the same bundled model with the same
options the pipeline uses (int8 on CPU, beam 5, Silero VAD, word timestamps, language
detection), transcribing the file directly. The pipeline side is the full
``CallAnalyzer.analyze`` (PyAV decoding, chunked transcription, diarization, utterance
building); its transcript is the utterances' text in order.

Scoring: English lowercased, punctuation stripped, numbers as written; corpus WER =
all word errors / all reference words (jiwer). Four English references carry
misspellings (flagged "CAVEAT" in references.tsv): WER is reported with and without
them. Mandarin: CER on characters without spaces or punctuation; Whisper writes either
script, so CER is also given after converting both sides to simplified (OpenCC), which
isolates recognition errors from the script choice.

    .venv/bin/python benchmarks/speech_wer.py [--data ../shared/data/audio/wer]
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.common import SHARED_DATA, machine, md_table, write_results  # noqa: E402


def norm_en(text: str) -> str:
    text = "".join(" " if unicodedata.category(c).startswith("P") and c != "'" else c for c in text.lower())
    return " ".join(text.split())


def norm_zh(text: str, to_simplified=None) -> str:
    text = "".join(c for c in text if not (c.isspace() or unicodedata.category(c)[0] in "PS"))
    return to_simplified(text) if to_simplified else text


def load_refs(data: Path) -> list[dict]:
    with (data / "references.tsv").open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r.get("file")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=SHARED_DATA / "audio" / "wer")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "salescoach-models")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import jiwer
    import opencc
    from faster_whisper import WhisperModel

    from coach.settings import SpeechSettings
    from speech.models import whisper_model_ref
    from speech.pipeline import CallAnalyzer

    settings = SpeechSettings()
    model_dir = whisper_model_ref(settings, args.cache)
    analyzer = CallAnalyzer(settings, args.cache)
    bare = WhisperModel(model_dir, device="cpu", compute_type="int8")
    bare_opts = {"beam_size": settings.beam_size, "vad_filter": True, "word_timestamps": True}
    assert analyzer.transcriber.transcribe_options() == bare_opts, "baseline must use the pipeline's options"
    t2s = opencc.OpenCC("t2s").convert

    rows, per_clip = [], []
    for ref in load_refs(args.data):
        path = args.data / ref["file"]
        t0 = time.perf_counter()
        segments, _info = bare.transcribe(str(path), **bare_opts)
        bare_text = "".join(s.text for s in segments)
        t_bare = time.perf_counter() - t0
        t0 = time.perf_counter()
        analysis = analyzer.analyze(path)
        pipe_text = " ".join(u.text for u in analysis.utterances)
        t_pipe = time.perf_counter() - t0
        lang = ref["language"]
        noisy = "CAVEAT" in (ref.get("note") or "")
        if lang == "zh":
            r = norm_zh(ref["reference"])
            b, p = norm_zh(bare_text), norm_zh(pipe_text)
            scores = {
                "bare": jiwer.cer(r, b) if b else 1.0,
                "pipeline": jiwer.cer(r, p) if p else 1.0,
                "bare_simplified": jiwer.cer(r, norm_zh(bare_text, t2s)) if b else 1.0,
                "pipeline_simplified": jiwer.cer(r, norm_zh(pipe_text, t2s)) if p else 1.0,
            }
        else:
            r, b, p = norm_en(ref["reference"]), norm_en(bare_text), norm_en(pipe_text)
            scores = {"bare": jiwer.wer(r, b) if b else 1.0, "pipeline": jiwer.wer(r, p) if p else 1.0}
        per_clip.append(
            {"file": ref["file"], "language": lang, "noisy_reference": noisy, "reference": r, "bare": b, "pipeline": p,
             "scores": scores, "seconds_bare": round(t_bare, 3), "seconds_pipeline": round(t_pipe, 3)}
        )
        rows.append([ref["file"], lang + (" (noisy ref)" if noisy else ""), scores["bare"], scores["pipeline"]])

    def corpus(lang: str, side: str, keep=lambda c: True, simplified: bool = False) -> float:
        clips = [c for c in per_clip if c["language"] == lang and keep(c)]
        refs = [c["reference"] for c in clips]
        if lang == "zh":
            hyps = [norm_zh(c[side], t2s) if simplified else c[side] for c in clips]
            return jiwer.cer(refs, hyps)
        return jiwer.wer(refs, [c[side] for c in clips])

    clean = lambda c: not c["noisy_reference"]  # noqa: E731
    summary = {
        "en_wer_all": {s: corpus("en", s) for s in ("bare", "pipeline")},
        "en_wer_clean_refs": {s: corpus("en", s, clean) for s in ("bare", "pipeline")},
        "zh_cer": {s: corpus("zh", s) for s in ("bare", "pipeline")},
        "zh_cer_both_simplified": {s: corpus("zh", s, simplified=True) for s in ("bare", "pipeline")},
    }
    n_en = sum(c["language"] == "en" for c in per_clip)
    n_zh = len(per_clip) - n_en
    n_clean = sum(c["language"] == "en" and clean(c) for c in per_clip)
    table = md_table(
        ["metric", "bare faster-whisper", "pipeline", "pipeline not worse"],
        [
            [f"English WER, {n_en} clips", summary["en_wer_all"]["bare"], summary["en_wer_all"]["pipeline"],
             summary["en_wer_all"]["pipeline"] <= summary["en_wer_all"]["bare"] + 1e-9],
            [f"English WER, {n_clean} clean references", summary["en_wer_clean_refs"]["bare"],
             summary["en_wer_clean_refs"]["pipeline"],
             summary["en_wer_clean_refs"]["pipeline"] <= summary["en_wer_clean_refs"]["bare"] + 1e-9],
            [f"Mandarin CER, {n_zh} clips (as written)", summary["zh_cer"]["bare"], summary["zh_cer"]["pipeline"],
             summary["zh_cer"]["pipeline"] <= summary["zh_cer"]["bare"] + 1e-9],
            ["Mandarin CER, both converted to simplified", summary["zh_cer_both_simplified"]["bare"],
             summary["zh_cer_both_simplified"]["pipeline"],
             summary["zh_cer_both_simplified"]["pipeline"] <= summary["zh_cer_both_simplified"]["bare"] + 1e-9],
        ],
    )
    print("## Transcription accuracy (bundled Whisper base, int8, CPU)\n")
    print(table)
    print("\nPer clip (WER for en, CER for zh):\n")
    print(md_table(["clip", "language", "bare", "pipeline"], rows))
    out = write_results("speech_wer", {"summary": summary, "clips": per_clip, "options": bare_opts,
                                       "model": str(model_dir), "machine": machine()})
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
