"""Settings of the speech floor (one section of the product's settings tree, composed by
``coach.settings.Settings`` as ``settings.speech``; env ``SALESCOACH_SPEECH__<FIELD>``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SpeechSettings(BaseModel):
    #: directory of a CTranslate2 Whisper model; empty = the bundled base model
    whisper_model: str = ""
    compute_type: str = "int8"
    device: str = "cpu"
    cpu_threads: int = 0  # 0 = let CTranslate2 decide
    beam_size: int = 5
    vad_filter: bool = True
    #: ISO code or empty for auto-detection
    language: str = ""
    #: product and competitor names fed to Whisper as hotwords / initial prompt
    vocabulary: list[str] = Field(default_factory=list)
    #: script of Chinese transcripts: "simplified", "traditional" or "" (as Whisper writes)
    chinese_script: str = "simplified"
    #: transformers text-classification model dir for sentiment; empty = the shipped e5 head (English and
    #: Chinese, trained on MELD train); "vader" = VADER alone (English only)
    sentiment_model: str = ""
    #: maximum number of speakers the mono clustering may return
    max_speakers: int = 6
    #: compute diarization's voice features on a background thread during transcription
    early_diarization: bool = True
    #: hard limit on audio length we accept (seconds)
    max_duration_s: float = 4 * 3600
    #: audio is decoded and processed in chunks of this many seconds (bounded memory:
    #: Whisper's features for a 300 s chunk peak at ~230 MB, 600 s at ~420 MB)
    chunk_s: float = 300.0
    #: phrase lists file for moments (objections, pricing, ...); empty = bundled
    phrases_file: str = ""
