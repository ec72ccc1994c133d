"""Shift detection: label change + strength (sentiment change fused with arousal)."""

from __future__ import annotations

import pytest

from speech.shifts import ShiftConfig, detect_shifts, shift_points
from speech.types import Utterance

CFG = ShiftConfig(band=0.3, alpha=1.0, min_strength=0.6, arousal_weight=0.5, arousal_cap=2.0)


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
    ("S1", "rep", "Our price is fixed at 40k per year, which includes onboarding and support for all sites.", 0.0),
    ("S2", "customer", "That is way too expensive, I'm disappointed.", -0.62),
]


def test_negative_shift_after_price_names_rep_as_cause_in_one_short_line():
    shifts = detect_shifts(conv(CALL), CFG)
    assert [(s.utterance_id, s.role, s.direction) for s in shifts] == [("u6", "customer", "negative")]
    s = shifts[0]
    assert s.cause_utterance_id == "u5"
    assert s.from_ == "positive (+0.45)" and s.to == "negative (-0.62)"  # baseline = their previous utterance
    assert s.strength == pytest.approx(1.07)
    assert s.evidence.startswith("customer positive → negative after rep: \"Our price is fixed at 40k")
    assert s.evidence.endswith("(02:20)") and "\n" not in s.evidence and len(s.evidence) < 110
    assert s.model_dump(by_alias=True)["from"] == s.from_


def test_first_utterance_only_starts_baseline():
    assert detect_shifts(conv([("S1", "rep", "I hate this", -0.9), ("S2", "customer", "Love it", 0.9)]), CFG) == []


def test_small_change_across_the_band_is_not_strong_enough():
    rows = [("S2", "customer", "a", 0.35), ("S2", "customer", "b", 0.2)]  # positive -> neutral by 0.15
    assert detect_shifts(conv(rows), CFG) == []


def test_big_move_inside_one_label_is_no_shift():
    rows = [("S2", "customer", "a", -0.35), ("S2", "customer", "b", -0.99)]
    assert detect_shifts(conv(rows), CFG) == []


def test_raised_voice_makes_the_same_words_a_stronger_shift():
    calm = [("S2", "customer", "great", 0.4), ("S2", "customer", "fine", -0.1, 0.0)]
    loud = [("S2", "customer", "great", 0.4), ("S2", "customer", "fine", -0.1, 2.0)]
    assert detect_shifts(conv(calm), CFG) == []  # change 0.5 < 0.6
    (s,) = detect_shifts(conv(loud), CFG)
    assert s.strength == pytest.approx(0.5 * (1 + 0.5 * 2.0))
    assert "voice raised" in s.evidence


def test_arousal_alone_never_makes_a_shift():
    rows = [("S2", "customer", "ok", 0.0, -1.0), ("S2", "customer", "ok", 0.0, 3.0)]
    assert detect_shifts(conv(rows), CFG) == []


def test_arousal_boost_is_capped():
    pts = shift_points(["A", "A"], [0.5, -0.5], [None, 10.0], CFG)
    assert pts[0].strength == pytest.approx(1.0 * (1 + 0.5 * 2.0))


def test_smoothed_baseline_with_alpha():
    cfg = ShiftConfig(band=0.3, alpha=0.5, min_strength=0.3)
    # baseline: 0.8 -> 0.8 + 0.5*(0.0-0.8) = 0.4 (positive), then -0.4 is a shift of 0.8
    pts = shift_points(["A"] * 3, [0.8, 0.0, -0.4], [None] * 3, cfg)
    assert [(p.index, round(p.baseline, 2), p.direction) for p in pts] == [(1, 0.8, "negative"), (2, 0.4, "negative")]


def test_no_cause_when_nobody_else_spoke():
    shifts = detect_shifts(conv([("S2", "customer", "good", 0.5), ("S2", "customer", "awful", -0.7)]), CFG)
    assert shifts[0].cause_utterance_id is None and "after" not in shifts[0].evidence


def test_none_sentiment_is_skipped():
    rows = [("S2", "customer", "好", None), ("S2", "customer", "不好", None)]
    assert detect_shifts(conv(rows), CFG) == []


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="alpha"):
        ShiftConfig(alpha=0.0)
    with pytest.raises(ValueError, match="band"):
        ShiftConfig(band=1.0)


def test_shipped_settings_come_from_the_head_file():
    from speech.sentiment_head import load_head

    head = load_head()
    cfg = ShiftConfig.shipped()
    assert cfg.band == head.band and cfg.min_strength == head.shift["min_strength"] and cfg.alpha == head.shift["alpha"]
