"""Conversation metrics on hand-built conversations with known answers."""

from __future__ import annotations

import pytest

from speech.metrics import compute_metrics, count_questions, is_question, question_kind
from speech.phrases import load_phrases

from speech.types import Utterance

EN = load_phrases("en")
ZH = load_phrases("zh")
ROLES = {"R": "rep", "C": "customer"}


def U(k, spk, start, end, text):
    return Utterance(id=f"u{k}", speaker=spk, start=start, end=end, text=text)


def test_talk_ratio_patience_interactivity():
    utts = [
        U(1, "R", 0, 30, "Let me explain what we do."),
        U(2, "C", 31, 41, "Interesting, we struggle with that."),  # gap 1 s after rep
        U(3, "R", 43, 53, "How do you handle it today?"),  # patience 2 s
        U(4, "C", 53.5, 60, "Manually, in spreadsheets."),  # gap
        U(5, "R", 64, 74, "Got it. Our tool automates that."),  # patience 4 s
    ]
    m = compute_metrics(utts, ROLES, EN)
    assert m.talk_ratio == pytest.approx(50 / 66.5, abs=1e-3)
    assert m.patience_s == pytest.approx(3.0)
    assert m.interactivity == pytest.approx(4 / (74 / 60), abs=0.01)
    assert m.questions_rep == 1 and m.questions_rep_open == 1 and m.questions_customer == 0


def test_monologue_broken_only_by_backchannel():
    utts = [
        U(1, "C", 0, 5, "So what does it do?"),
        U(2, "R", 6, 40, "It does a lot of things."),
        U(3, "C", 40.5, 41, "Mm-hm."),  # backchannel: does not break the monologue
        U(4, "R", 41.5, 70, "And it also does more."),
        U(5, "C", 70.5, 72, "Okay, yeah."),  # backchannel
        U(6, "R", 72.5, 80, "Finally, reporting."),
        U(7, "C", 81, 95, "We tried something like that and it failed badly."),  # breaks
        U(8, "R", 96, 110, "Why did it fail?"),
    ]
    m = compute_metrics(utts, ROLES, EN)
    assert m.longest_monologue_s == pytest.approx(74.0)  # 6 -> 80
    assert m.longest_customer_story_s == pytest.approx(14.0)
    # patience only after real customer turns (u1 -> u2: 1 s, u7 -> u8: 1 s), not after "Mm-hm."
    assert m.patience_s == pytest.approx(1.0)


def test_no_rep_gives_none():
    m = compute_metrics([U(1, "A", 0, 5, "hello"), U(2, "B", 5, 9, "hi")], {"A": "unknown", "B": "unknown"}, EN)
    assert m.talk_ratio is None and m.filler_words_per_min is None and m.patience_s is None
    assert m.words_per_minute == {"A": 12.0, "B": 15.0}


def test_questions_open_closed_english():
    utts = [U(1, "R", 0, 10, "So, what keeps you up at night? Do you use Excel? Tell me about your team?"),
            U(2, "R", 10, 12, "how many users do you have"),  # unpunctuated question
            U(3, "R", 12, 14, "What we do is simple."),  # not a question
            U(4, "C", 14, 16, "Is it expensive? You know, I wonder.")]
    m = compute_metrics(utts, ROLES, EN)
    assert m.questions_rep == 4 and m.questions_rep_open == 3 and m.questions_rep_closed == 1
    assert m.questions_customer == 1


@pytest.mark.parametrize(
    ("sentence", "question", "kind"),
    [
        ("您现在用的是什么系统", True, "open"),
        ("这个价格可以接受吗", True, "closed"),
        ("你们是不是已经有供应商了", True, "closed"),
        ("为什么选择我们？", True, "open"),
        ("没什么问题。", False, None),
        ("我们的产品很好", False, None),
        ("Does that make sense?", True, "closed"),
        ("Okay so why did you switch", True, "open"),
    ],
)
def test_question_detection(sentence, question, kind):
    p = ZH if any("\u4e00" <= c <= "\u9fff" for c in sentence) else EN
    assert is_question(sentence, p) is question
    if question:
        assert question_kind(sentence, p) == kind


def test_words_per_minute_and_fillers():
    utts = [U(1, "R", 0, 30, "Um, so, you know, our product is, like, basically fast. I'd like to show it."),
            U(2, "C", 30, 60, "好的，我们需要看一下价格。")]
    m = compute_metrics(utts, ROLES, EN)
    # fillers: um, you know, ", like,", basically  (not "I'd like to")
    assert m.filler_words_per_min == pytest.approx(8.0)
    assert m.words_per_minute["R"] == pytest.approx(2 * 15)  # 15 words in 30 s
    assert 8 <= m.words_per_minute["C"] <= 16  # jieba words, not characters


def test_chinese_fillers_and_count_questions():
    assert count_questions("这个多少钱？你们什么时候能交付", ZH) == 2
    m = compute_metrics([U(1, "R", 0, 60, "嗯，那个，我们的产品就是很好。")], {"R": "rep"}, ZH)
    assert m.filler_words_per_min == pytest.approx(3.0)


def test_untimed_leaves_out_patience_and_wpm():
    utts = [U(1, "C", 0, 2, "Hello there."), U(2, "R", 2, 4, "Hi, thanks for joining.")]
    m = compute_metrics(utts, ROLES, EN, timed=False)
    assert m.patience_s is None and m.words_per_minute == {}
    assert m.talk_ratio == pytest.approx(0.5)


def test_empty():
    m = compute_metrics([], {}, EN)
    assert m.talk_ratio is None and m.interactivity == 0.0
