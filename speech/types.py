"""Typed results at every stage boundary of the call-analysis pipeline.

``CallAnalysis`` is the JSON contract of ``salescoach analyze --json`` (docs/contracts/analysis.md, analysis.schema.json);
the internal stage types (``Word``, ``TranscriptResult``, ``SpeakerTurn``) are what one
stage hands to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np
from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.0"

Role = Literal["rep", "customer", "unknown"]
Direction = Literal["negative", "positive"]
MomentType = Literal["objection", "pricing", "competitor", "next_step"]

#: sample rate every stage works at
SAMPLE_RATE = 16000


# ---------------------------------------------------------------- internal stages --
@dataclass
class DecodedAudio:
    """Decoded audio: float32 in [-1, 1], shape (channels, samples) at SAMPLE_RATE."""

    samples: np.ndarray
    sample_rate: int
    source_sample_rate: int
    source_channels: int
    duration_s: float
    #: decoding problems that did not stop it (e.g. a truncated file)
    warnings: list[str] = field(default_factory=list)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0) if self.channels > 1 else self.samples[0]


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0
    #: filled by diarization
    speaker: str | None = None


@dataclass
class TranscriptResult:
    language: str
    language_probability: float
    words: list[Word]
    duration_s: float
    #: per-channel transcription (stereo): channel index of each word is in ``speaker``
    warnings: list[str] = field(default_factory=list)


@dataclass
class SpeakerTurn:
    start: float
    end: float
    speaker: str


# ------------------------------------------------------------- the JSON contract --
class AudioInfo(BaseModel):
    duration_s: float
    channels: int
    sample_rate: int


class SpeakerInfo(BaseModel):
    id: str
    role: Role = "unknown"
    talk_s: float = 0.0
    #: how the role was decided: enrolled voice, talk evidence, override
    role_evidence: str | None = None
    #: how sure that decision is, 0..1 (1: given by a person or an enrolled voice; 0: unknown)
    role_confidence: float | None = None


class Utterance(BaseModel):
    id: str
    speaker: str
    role: Role = "unknown"
    start: float
    end: float
    text: str
    sentiment: float | None = Field(default=None, ge=-1.0, le=1.0)
    arousal: float | None = None
    emotion: str | None = None


class Metrics(BaseModel):
    talk_ratio: float | None = None
    longest_monologue_s: float = 0.0
    longest_customer_story_s: float = 0.0
    interactivity: float = 0.0
    patience_s: float | None = None
    questions_rep: int = 0
    questions_customer: int = 0
    questions_rep_open: int = 0
    questions_rep_closed: int = 0
    words_per_minute: dict[str, float] = Field(default_factory=dict)
    filler_words_per_min: float | None = None


class EmotionShift(BaseModel):
    utterance_id: str
    time: float
    speaker: str
    role: Role
    direction: Direction
    #: label or rounded score before / after, e.g. "neutral (0.05)" -> "negative (-0.62)"
    from_: str = Field(alias="from")
    to: str
    cause_utterance_id: str | None = None
    #: one short line: who, from -> to, louder than usual?, after what
    evidence: str
    #: how large and confident the turn was: |sentiment change| x (1 + 0.5 x raised arousal);
    #: surfaces show the customer's strongest shifts first (``speech.shift_summary``)
    strength: float = 0.0

    model_config = {"populate_by_name": True}


class Moment(BaseModel):
    type: MomentType
    utterance_id: str
    time: float
    text: str
    #: the phrase that matched
    phrase: str | None = None


class CallAnalysis(BaseModel):
    schema_version: str = SCHEMA_VERSION
    source: str | None = None
    audio: AudioInfo | None = None
    language: str | None = None
    speakers: list[SpeakerInfo] = Field(default_factory=list)
    utterances: list[Utterance] = Field(default_factory=list)
    metrics: Metrics = Field(default_factory=Metrics)
    emotion_shifts: list[EmotionShift] = Field(default_factory=list)
    moments: list[Moment] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    def to_json_dict(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)

    def utterance(self, uid: str) -> Utterance | None:
        return next((u for u in self.utterances if u.id == uid), None)


ProgressCallback = Callable[[str, float], None]
"""``on_progress(stage, fraction)``: stage name and 0..1 progress within the job."""


@dataclass(frozen=True, eq=False)
class AnalyzeOptions:
    """How to analyse one call: what the user told us (CLI flags, upload form, job
    parameters). Passed unchanged from ``CallStore.analyze_call`` to ``CallAnalyzer.analyze``."""

    #: speakers in the recording when known (1-20); None = estimated
    num_speakers: int | None = None
    #: ISO language code; None = detected
    language: str | None = None
    #: the speaker id that is the rep (e.g. "S2"); None = role detection decides
    rep_speaker: str | None = None
    #: the rep's enrolled voice embedding (audio only)
    rep_voice: np.ndarray | None = None
    #: the rep's name: labels evidence and, for transcripts, matches a speaker label
    rep_name: str | None = None

