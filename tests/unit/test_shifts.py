"""Shift detection against each speaker's own baseline."""

from __future__ import annotations

import pytest

from speech.shifts import ShiftConfig, detect_shifts
from speech.types import Utterance


def conv(rows):
    """rows: (speaker, role, text, sentiment[, arousal]) every 4 s."""
    out = []
    for k, r in enumerate(rows, 1):
        spk, role, text, s = r[:4]
        out.append(Utterance(id=f"u{k}", speaker=spk, role=role, start=k * 4.0 + 120, end=k * 4.0 + 123, text=text,
                             sentiment=s, arousal=r[4] if len(r) > 4 else None))
    return out


CALL = [
    ("S1", "rep", "Thanks for joining.", 0.4),
    ("S2", "customer", "Happy to be here, this looks useful.", 0.5),
    ("S1", "rep", "It saves about ten hours a week.", 0.1),
    ("S2", "customer", "Nice, that sounds good.", 0.45),
    ("S1", "rep", "Our price is fixed at 40k per year.", 0.0),
    ("S2", "customer", "That is way too expensive, I'm disappointed.", -0.62),
]


def test_negative_shift_after_price_names_rep_as_cause():
    shifts = detect_shifts(conv(CALL))
    cust = [s for s in shifts if s.role == "customer"]
    assert len(cust) == 1
    s = cust[0]
    assert s.utterance_id == "u6" and s.direction == "negative"
    assert s.cause_utterance_id == "u5"
    assert s.from_ == "positive (+0.45)" and s.to == "negative (-0.62)"  # baseline = their previous utterance
    assert "fell from positive +0.45 (their baseline) to negative -0.62" in s.evidence and '"Our price is fixed at 40k per year."' in s.evidence
    assert "(u5, 02:20)" in s.evidence and "02:24" in s.evidence
    assert s.magnitude == pytest.approx(1.07)
    assert s.model_dump(by_alias=True)["from"] == s.from_


def test_first_utterance_only_starts_baseline():
    shifts = detect_shifts(conv([("S1", "rep", "I hate this", -0.9), ("S2", "customer", "Love it", 0.9)]))
    assert shifts == []


def test_steady_speaker_no_shift_and_positive_shift():
    rows = [("S2", "customer", "ok", 0.0), ("S1", "rep", "a", 0.0), ("S2", "customer", "fine", 0.02),
            ("S1", "rep", "We can include training for free.", 0.3), ("S2", "customer", "Oh that's wonderful!", 0.8)]
    shifts = detect_shifts(conv(rows))
    assert [(s.utterance_id, s.direction, s.cause_utterance_id) for s in shifts if s.speaker == "S2"] == [("u5", "positive", "u4")]


def test_no_cause_when_nobody_else_spoke():
    shifts = detect_shifts(conv([("S2", "customer", "good", 0.5), ("S2", "customer", "awful", -0.7)]))
    assert shifts[0].cause_utterance_id is None and "no earlier utterance" in shifts[0].evidence


def test_none_sentiment_is_skipped():
    rows = [("S2", "customer", "好", None), ("S2", "customer", "不好", None)]
    assert detect_shifts(conv(rows)) == []


def test_zscore_mode_still_available():
    shifts = detect_shifts(conv(CALL), ShiftConfig(mode="zscore"))
    cust = [s for s in shifts if s.role == "customer"]
    assert [s.utterance_id for s in cust] == ["u6"] and cust[0].magnitude > 2


def test_label_mode_needs_a_label_change():
    # a big move inside "positive" is no shift; a small move across the band edge is one
    rows = [("S2", "customer", "a", 0.15), ("S2", "customer", "b", 0.95), ("S2", "customer", "c", 0.05)]
    shifts = detect_shifts(conv(rows))
    assert [(s.utterance_id, s.direction, s.from_, s.to) for s in shifts] == [
        ("u3", "negative", "positive (+0.95)", "neutral (+0.05)")]


def test_margin_drops_small_label_changes():
    rows = [("S2", "customer", "a", 0.12), ("S2", "customer", "b", 0.08), ("S2", "customer", "c", -0.6)]
    assert [s.utterance_id for s in detect_shifts(conv(rows))] == ["u2", "u3"]
    assert [s.utterance_id for s in detect_shifts(conv(rows), ShiftConfig(margin=0.2))] == ["u3"]


def test_alpha_smooths_the_label_baseline():
    rows = [("S2", "customer", "a", 0.6), ("S2", "customer", "b", 0.0), ("S2", "customer", "c", 0.0)]
    assert [s.utterance_id for s in detect_shifts(conv(rows))] == ["u2"]
    # with alpha 0.3 the baseline is still positive (0.42) at u3: the speaker has not come back
    assert [s.utterance_id for s in detect_shifts(conv(rows), ShiftConfig(alpha=0.3))] == ["u2", "u3"]


@pytest.mark.parametrize("kwargs", [{"mode": "vibes"}, {"alpha": 0.0}, {"alpha": 1.5}])
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ValueError):
        ShiftConfig(**kwargs)


def test_label_mode_arousal_rise_amplifies_a_small_change():
    cfg = ShiftConfig(margin=0.3)
    calm = [("S2", "customer", "a", 0.1, 0.0), ("S2", "customer", "b", 0.1, 0.1), ("S2", "customer", "c", -0.1, 0.0)]
    loud = calm[:2] + [("S2", "customer", "c", -0.1, 2.5)]
    assert detect_shifts(conv(calm), cfg) == []
    shifts = detect_shifts(conv(loud), cfg)
    assert len(shifts) == 1 and shifts[0].direction == "negative" and "arousal" in shifts[0].evidence


def test_arousal_rise_amplifies_a_small_valence_change():
    cfg = ShiftConfig(mode="zscore", threshold=1.0)
    calm = [("S2", "customer", "a", 0.1, 0.0), ("S2", "customer", "b", 0.1, 0.1), ("S2", "customer", "c", -0.1, 0.0)]
    loud = calm[:2] + [("S2", "customer", "c", -0.1, 2.5)]
    assert detect_shifts(conv(calm), cfg) == []
    shifts = detect_shifts(conv(loud), cfg)
    assert len(shifts) == 1 and shifts[0].direction == "negative" and "arousal" in shifts[0].evidence


def test_arousal_alone_flags_nothing():
    rows = [("S2", "customer", "a", 0.0, 0.0), ("S2", "customer", "b", 0.0, 3.0)]
    assert detect_shifts(conv(rows)) == []
