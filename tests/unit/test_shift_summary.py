"""The one reading of a call's shifts that every surface uses."""

from __future__ import annotations

from speech.shift_summary import KEY_SHIFTS, key_shifts, strongest, summarize, summarize_doc
from speech.types import CallAnalysis, EmotionShift, Utterance


def sh(uid, role, direction, strength, t):
    return EmotionShift(utterance_id=uid, time=t, speaker="A" if role == "rep" else "B", role=role,
                        direction=direction, **{"from": "neutral (+0.00)"}, to="x", evidence="e", strength=strength)


SHIFTS = [
    sh("u2", "customer", "negative", 0.7, 2.0),
    sh("u3", "rep", "negative", 1.9, 3.0),
    sh("u4", "customer", "positive", 0.9, 4.0),
    sh("u6", "customer", "negative", 1.2, 6.0),
    sh("u9", "unknown", "negative", 0.8, 9.0),
    sh("u12", "customer", "negative", 0.65, 12.0),
]
IDS = [f"u{k}" for k in range(1, 20)]


def test_key_shifts_are_the_customers_strongest_in_time_order():
    keys = key_shifts(SHIFTS)
    assert len(keys) == KEY_SHIFTS == 3
    assert [s.utterance_id for s in keys] == ["u4", "u6", "u9"]  # rep's 1.9 excluded
    assert [s.utterance_id for s in strongest(SHIFTS, None)][:2] == ["u3", "u6"]


def test_summary_counts_and_recovery():
    s = summarize(SHIFTS, IDS)
    assert (s.customer, s.customer_negative, s.customer_positive, s.rep) == (5, 4, 1, 1)
    # u2 is followed by the customer's warming at u4 (within the window); u6, u9, u12 are not
    assert s.customer_negative_unrecovered == 3
    assert s.key == ["u4", "u6", "u9"]
    assert summarize(SHIFTS).customer_negative_unrecovered == 4  # no order known: none recovered


def test_dicts_and_objects_read_the_same():
    doc = CallAnalysis(utterances=[Utterance(id=u, speaker="B", start=k, end=k + 0.5, text="t")
                                   for k, u in enumerate(IDS)], emotion_shifts=SHIFTS).to_json_dict()
    assert summarize_doc(doc) == summarize(SHIFTS, IDS)
    assert summarize_doc({}) == summarize([])
