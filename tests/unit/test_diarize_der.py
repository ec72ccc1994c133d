"""The DER scorer of benchmarks/der.py on hand-made reference/hypothesis pairs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.der import load_rttm, score, write_rttm  # noqa: E402

REF = [(0.0, 4.0, "alice"), (4.0, 7.0, "bob"), (6.0, 8.0, "alice")]  # 1 s of overlap


def test_perfect_hypothesis_with_other_names_scores_zero():
    hyp = [(s, e, {"alice": "S2", "bob": "S1"}[n]) for s, e, n in REF]
    r = score(REF, hyp, collar=0.0)
    assert r.der == pytest.approx(0.0)
    assert r.total == pytest.approx(9.0)  # overlap counted per speaker
    assert r.mapping == {"S2": "alice", "S1": "bob"}


def test_missed_false_alarm_and_confusion_by_hand():
    # S1 = alice on 0-4 (correct); S2 covers 4-9: bob on 4-7 correct, 6-8 alice missed
    # (S2 is bob), 8-9 false alarm. S1 also says 3-5 -> 4-5 is a second hyp speaker
    # where only bob talks: false alarm 1 s.
    hyp = [(0.0, 5.0, "S1"), (4.0, 9.0, "S2")]
    r = score(REF, hyp, collar=0.0)
    assert r.mapping == {"S1": "alice", "S2": "bob"}
    # 0-4: ref alice, hyp S1 -> ok. 4-5: ref bob, hyp S1+S2 -> FA 1. 5-6: ok.
    # 6-7: ref bob+alice, hyp S2 -> missed 1. 7-8: ref alice, hyp S2 -> confusion 1.
    # 8-9: ref none, hyp S2 -> FA 1.
    assert r.missed_s == pytest.approx(1.0)
    assert r.false_alarm_s == pytest.approx(2.0)
    assert r.confusion_s == pytest.approx(1.0)
    assert r.der == pytest.approx(4.0 / 9.0)


def test_collar_removes_boundary_regions():
    ref = [(0.0, 10.0, "a")]
    hyp = [(0.2, 9.8, "x")]
    assert score(ref, hyp, collar=0.0).missed_s == pytest.approx(0.4)
    assert score(ref, hyp, collar=0.25).der == pytest.approx(0.0)


def test_extra_hypothesis_speaker_is_confusion():
    ref = [(0.0, 10.0, "a")]
    hyp = [(0.0, 6.0, "x"), (6.0, 10.0, "y")]
    r = score(ref, hyp, collar=0.0)
    assert r.confusion == pytest.approx(0.4)


def test_rttm_round_trip(tmp_path):
    p = tmp_path / "x.rttm"
    p.write_text(write_rttm(REF, "x"))
    assert load_rttm(p) == [(s, pytest.approx(e), n) for s, e, n in REF]


def test_empty_reference():
    assert score([], [], collar=0.0).der == 0.0
