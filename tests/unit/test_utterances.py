"""build_utterances: grouping, splitting, ids, text joining."""

from __future__ import annotations

from speech.types import Word
from speech.utterances import build_utterances, join_words


def W(start, end, text, spk="S1"):
    return Word(start=start, end=end, text=text, speaker=spk)


def test_join_english_and_chinese():
    assert join_words([" Hello,", " how", " are", " you?"]) == "Hello, how are you?"
    assert join_words(["我们", "的", "产品", "很", "好", "。"]) == "我们的产品很好。"
    assert join_words([" 我们", " 的产品"]) == "我们的产品"
    assert join_words(["GPU", "3090"]) == "GPU 3090"


def test_groups_by_speaker_and_orders_ids():
    words = [W(2.0, 2.4, " there", "S1"), W(1.5, 1.9, " Hi", "S1"), W(3.0, 3.3, " Hello", "S2"), W(3.4, 3.6, " back", "S2")]
    utts = build_utterances(words)
    assert [(u.id, u.speaker, u.text, u.start, u.end) for u in utts] == [
        ("u1", "S1", "Hi there", 1.5, 2.4),
        ("u2", "S2", "Hello back", 3.0, 3.6),
    ]


def test_splits_at_long_pause():
    utts = build_utterances([W(0, 0.5, " one"), W(0.6, 1.0, " two"), W(2.5, 3.0, " three")])
    assert [u.text for u in utts] == ["one two", "three"]


def test_long_utterance_split_at_sentence_end():
    words = []
    t = 0.0
    for k in range(60):  # 60 words, 0.6 s each (36 s), a sentence end every 10 words
        words.append(W(t, t + 0.5, f" w{k}{'.' if k % 10 == 9 else ''}"))
        t += 0.6
    utts = build_utterances(words)
    assert len(utts) >= 2
    assert all(u.text.endswith(".") for u in utts[:-1])
    assert [u.text.split()[0] for u in utts] == ["w0", "w40"]
    assert all(u.end - u.start <= 30 for u in utts)


def test_missing_speaker_and_empty_words():
    utts = build_utterances([W(0, 1, " hi", None), W(1, 1.1, "  ", None)])
    assert len(utts) == 1 and utts[0].speaker == "S?"
    assert build_utterances([]) == []
