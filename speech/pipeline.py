"""The call-analysis pipeline: one object that runs every stage in order.

Audio:  decode -> transcribe (mono mix) -> diarize -> utterances -> arousal
        -> voice match (when the rep's enrolled voice is given) -> analysis.
        While faster-whisper transcribes (on about one core), a background thread
        computes diarization's mel spectrogram and the words' voice embeddings on the
        other (``speech.diarize_early``); ``timings["diarize"]`` is what is left after.
Transcripts (.vtt .srt .json .txt): parse -> analysis (no audio stages).

Each stage's wall time lands in ``CallAnalysis.timings`` (seconds), progress goes to
``on_progress(stage, fraction_of_whole_job)``, and every stage's warnings are collected
into ``CallAnalysis.warnings``. Stage modules are imported lazily so ``--help`` and
transcript-only runs never load torch or CTranslate2.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import numpy as np

from speech.errors import InputError
from speech.settings import SpeechSettings
from speech.types import AnalyzeOptions, AudioInfo, CallAnalysis, DecodedAudio, ProgressCallback, TranscriptResult

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = frozenset({".vtt", ".srt", ".json", ".txt"})
#: stage -> (start, end) share of the whole job, for the progress bar
AUDIO_STAGES: dict[str, tuple[float, float]] = {
    "decode": (0.0, 0.05),
    "transcribe": (0.05, 0.75),
    "diarize": (0.75, 0.88),
    "utterances": (0.88, 0.89),
    "arousal": (0.89, 0.94),
    "voice_match": (0.94, 0.95),
    "analysis": (0.95, 1.0),
}
TRANSCRIPT_STAGES: dict[str, tuple[float, float]] = {"parse": (0.0, 0.3), "analysis": (0.3, 1.0)}


def is_transcript(path: str | Path) -> bool:
    return Path(path).suffix.lower() in TRANSCRIPT_SUFFIXES


class _Run:
    """Timings and progress of one analysis."""

    def __init__(self, stages: dict[str, tuple[float, float]], on_progress: ProgressCallback | None) -> None:
        self.stages = stages
        self.on_progress = on_progress
        self.timings: dict[str, float] = {}
        self.warnings: list[str] = []

    def report(self, stage: str, fraction: float) -> None:
        if self.on_progress is None:
            return
        lo, hi = self.stages.get(stage, (0.0, 1.0))
        try:
            self.on_progress(stage, lo + (hi - lo) * max(0.0, min(1.0, fraction)))
        except Exception:  # a broken progress display must never fail the analysis
            log.warning("progress callback failed", exc_info=True)

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[str, float], None]]:
        self.report(name, 0.0)
        t0 = time.perf_counter()
        try:
            yield lambda _stage, frac: self.report(name, frac)
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)
        self.report(name, 1.0)

    def warn(self, items: list[str] | None) -> None:
        for w in items or []:
            if w and w not in self.warnings:
                self.warnings.append(w)


class CallAnalyzer:
    """Analyse a recording or a transcript into a :class:`CallAnalysis`."""

    def __init__(self, settings: SpeechSettings, cache_dir: str | Path, *, transcriber: Any | None = None) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir)
        self._transcriber = transcriber

    @property
    def transcriber(self) -> Any:
        if self._transcriber is None:
            from speech.transcribe import Transcriber

            self._transcriber = Transcriber(self.settings, self.cache_dir)
        return self._transcriber

    # --------------------------------------------------------------- public API --
    def analyze(
        self,
        path: str | Path,
        options: AnalyzeOptions | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> CallAnalysis:
        """Full analysis of a recording or transcript (see :class:`AnalyzeOptions`)."""
        path = Path(path)
        o = options or AnalyzeOptions()
        num_speakers, rep_speaker, rep_voice, rep_name = o.num_speakers, o.rep_speaker, o.rep_voice, o.rep_name
        language = o.language
        if num_speakers is not None and not 1 <= num_speakers <= 20:
            raise InputError(f"--speakers must be between 1 and 20, got {num_speakers}")
        language = (language or "").strip().lower() or None
        if is_transcript(path):
            return self._analyze_transcript(path, language, rep_speaker, rep_name, on_progress)
        return self._analyze_audio(path, num_speakers, language, rep_speaker, rep_voice, rep_name, on_progress)

    def decode(self, path: str | Path, *, max_duration_s: float | None = None) -> DecodedAudio:
        """Decode an uploaded file in the limited child process (:mod:`speech.sandbox`)."""
        from speech.decode import decode_audio

        limit = self.settings.max_duration_s if max_duration_s is None else min(max_duration_s, self.settings.max_duration_s)
        return decode_audio(path, max_duration_s=limit)

    def transcribe_file(
        self, path: str | Path, language: str | None = None, *, max_duration_s: float | None = None
    ) -> TranscriptResult:
        """Decode and transcribe one file (role-play voice turns, capped at ``max_duration_s``)."""
        from speech.decode import mono_mix

        audio = self.decode(path, max_duration_s=max_duration_s)
        result = self.transcriber.transcribe(mono_mix(audio), language=language)
        result.warnings = list(audio.warnings) + list(result.warnings)
        return result

    def embed_voice(self, path: str | Path) -> np.ndarray:
        """Voice embedding of an enrolment sample (``salescoach reps enroll``)."""
        from speech.decode import mono_mix
        from speech.voiceprint import embed_voice

        audio = self.decode(path)  # too little speech -> InputError from embed_voice
        return np.asarray(embed_voice(mono_mix(audio)), dtype=np.float32)

    # ---------------------------------------------------------------- transcripts --
    def _analyze_transcript(
        self,
        path: Path,
        language: str | None,
        rep_speaker: str | None,
        rep_name: str | None,
        on_progress: ProgressCallback | None,
    ) -> CallAnalysis:
        from speech.transcripts import parse_transcript

        run = _Run(TRANSCRIPT_STAGES, on_progress)
        with run.stage("parse"):
            parsed = parse_transcript(path, language=language)
        run.warn(parsed.warnings)
        speakers = list(dict.fromkeys(u.speaker for u in parsed.utterances))
        hints: dict[str, str] = dict(parsed.role_hints or {})
        chosen, reason = None, ""
        if rep_speaker:
            chosen = _resolve_speaker(rep_speaker, speakers, run)
            reason = f"chosen as the rep ({rep_speaker})"
        elif rep_name:
            chosen = _resolve_speaker(rep_name, speakers, None)
            reason = f"speaker label matches the rep's name {rep_name!r}"
            if chosen is None:
                run.warn([f"the rep {rep_name!r} is not a speaker label in this transcript; roles inferred from the talk"])
        if chosen:
            hints = {s: r for s, r in hints.items() if not r.startswith("rep")}
            hints[chosen] = f"rep:{reason}"
        with run.stage("analysis"):
            analysis = self._conversation(parsed.utterances, language or parsed.language, hints, timed=parsed.timed)
        return self._finish(analysis, path, None, language or parsed.language, run)

    # ---------------------------------------------------------------------- audio --
    def _analyze_audio(
        self,
        path: Path,
        num_speakers: int | None,
        language: str | None,
        rep_speaker: str | None,
        rep_voice: np.ndarray | None,
        rep_name: str | None,
        on_progress: ProgressCallback | None,
    ) -> CallAnalysis:
        from speech.decode import mono_mix, release

        run = _Run(AUDIO_STAGES, on_progress)
        with run.stage("decode"):
            audio = self.decode(path)
            mono = mono_mix(audio)
        run.warn(audio.warnings)
        info = AudioInfo(
            duration_s=round(audio.duration_s, 3), channels=audio.source_channels, sample_rate=audio.source_sample_rate
        )

        from speech.diarize_early import EarlyDiarization
        from speech.pipeline_stereo import is_two_party_stereo, transcribe_channels

        view = _parties_view(audio, mono)
        # diarization features that need no words are computed on the core faster-whisper
        # leaves idle, and each word's voice window as soon as the word is transcribed
        early = EarlyDiarization(view).start() if self.settings.early_diarization else None
        channel_of: dict[int, int] = {}
        try:
            with run.stage("transcribe") as progress:
                if is_two_party_stereo(audio):  # one party per channel: each on its own
                    transcript, channel_of = transcribe_channels(
                        self.transcriber, audio, language=language, on_progress=progress
                    )
                else:
                    transcript = self.transcriber.transcribe(
                        mono, language=language, on_progress=progress, on_words=early.feed if early else None
                    )
        finally:
            features = early.finish() if early is not None else None
        run.warn(transcript.warnings)
        release(mono)
        words = transcript.words
        lang = transcript.language or None  # the forced code when valid, else detected

        if not words:  # silence or music: a valid, empty analysis with the warning
            with run.stage("analysis"):
                analysis = self._conversation([], lang, {})
            return self._finish(analysis, path, info, lang, run)

        with run.stage("diarize"):
            from speech.diarize import diarize

            diar = diarize(
                view,
                words,
                num_speakers=num_speakers,
                max_speakers=self.settings.max_speakers,
                **({"early": features} if features is not None else {}),
            )
        del features, early
        run.warn(diar.warnings)
        release(audio.samples)

        with run.stage("utterances"):
            from speech.utterances import build_utterances

            if channel_of and getattr(diar, "speaker_channels", None):
                from speech.pipeline_stereo import label_by_channel, overlap_aware_utterances

                # the channel a word was transcribed from is certain; keep it
                label_by_channel(words, channel_of, diar.speaker_channels)
                utterances = overlap_aware_utterances(words, build_utterances)
            else:
                utterances = build_utterances(words)

        with run.stage("arousal"):
            from speech.prosody import utterance_arousal

            for signal, group in _arousal_groups(audio, mono, utterances, diar if channel_of else None):
                for u, a in zip(group, utterance_arousal(signal, group)):
                    u.arousal = None if a is None or not np.isfinite(a) else round(float(a), 3)
        release(mono)

        hints: dict[str, str] = {}
        speakers = list(dict.fromkeys(u.speaker for u in utterances))
        if rep_speaker:
            chosen = _resolve_speaker(rep_speaker, speakers, run)
            if chosen:
                hints[chosen] = f"rep:chosen as the rep ({rep_speaker})"
        elif rep_voice is not None:
            with run.stage("voice_match"):
                from speech.voiceprint import match_speaker

                who = rep_name or "the rep"
                best, score = match_speaker(diar.speaker_embeddings, np.asarray(rep_voice, dtype=np.float32))
                if best is not None and best in speakers:
                    hints[best] = f"rep:voice matches the enrolled sample of {who} (similarity {score:.2f})"
                else:
                    run.warn([f"no speaker matched the enrolled voice of {who} (best similarity {score:.2f}); roles inferred from the talk"])

        with run.stage("analysis"):
            analysis = self._conversation(utterances, lang, hints)
        return self._finish(analysis, path, info, lang, run)

    # -------------------------------------------------------------------- helpers --
    def _conversation(
        self, utterances: list, language: str | None, hints: dict[str, str], *, timed: bool = True
    ) -> CallAnalysis:
        """Text analysis; ``hints`` maps speaker id -> ``"rep:<why>"``."""
        from speech.analysis import analyze_conversation

        return analyze_conversation(
            utterances,
            language=language,
            role_hints=hints or None,
            phrases_file=self.settings.phrases_file or None,
            sentiment_model=self.settings.sentiment_model or None,
            timed=timed,
        )

    @staticmethod
    def _finish(
        analysis: CallAnalysis,
        path: Path,
        info: AudioInfo | None,
        language: str | None,
        run: _Run,
    ) -> CallAnalysis:
        analysis.source = path.name
        analysis.audio = info
        analysis.language = language or analysis.language or None
        analysis.timings = {**run.timings, **{k: v for k, v in analysis.timings.items() if k not in run.timings}}
        analysis.timings["total"] = round(sum(run.timings.values()), 3)
        run.warn(analysis.warnings)
        analysis.warnings = run.warnings
        return analysis


def _arousal_groups(audio: DecodedAudio, mono: np.ndarray, utterances: list, diar: Any | None) -> list[tuple[np.ndarray, list]]:
    """(signal, utterances) pairs for prosody: on a two-party stereo call each speaker is
    measured on their own channel (the mix would add the other party's voice under
    overlaps); otherwise everyone on the mono mix. Arousal is z-scored per speaker, so
    splitting by speaker changes nothing else."""
    channels = getattr(diar, "speaker_channels", None) or {}
    if not channels:
        return [(mono, utterances)]
    groups: list[tuple[np.ndarray, list]] = []
    rest = [u for u in utterances if u.speaker not in channels]
    for spk, ch in channels.items():
        own = [u for u in utterances if u.speaker == spk]
        if own:
            groups.append((audio.samples[ch], own))
    if rest:
        groups.append((mono, rest))
    return groups


def _resolve_speaker(wanted: str, speakers: list[str], run: _Run | None) -> str | None:
    """The speaker id matching ``wanted`` exactly or case-insensitively."""
    if wanted in speakers:
        return wanted
    folded = {s.casefold(): s for s in speakers}
    if wanted.strip().casefold() in folded:
        return folded[wanted.strip().casefold()]
    if run is not None:
        run.warn([f"the chosen rep {wanted!r} is not a speaker in this call (speakers: {', '.join(speakers) or 'none'}); ignored"])
    return None


def _parties_view(audio: DecodedAudio, mono: np.ndarray) -> DecodedAudio:
    """Audio as diarization should see it: a stereo file whose channels carry the same
    signal (dual mono, e.g. a mono recording saved as stereo) is one mixed channel."""
    if audio.channels != 2:
        return audio
    from speech.diarize_stereo import channels_identical

    if not channels_identical(audio.samples):
        return audio
    # diarization would mix the channels itself; handing it the (possibly memory-mapped)
    # mono mix avoids a second full-length copy
    return DecodedAudio(
        samples=np.asarray(mono).reshape(1, -1),
        sample_rate=audio.sample_rate,
        source_sample_rate=audio.source_sample_rate,
        source_channels=audio.source_channels,
        duration_s=audio.duration_s,
        warnings=audio.warnings,
    )
