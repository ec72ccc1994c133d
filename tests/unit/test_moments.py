"""Moments from phrase lists, English and Chinese, and phrase-file overrides."""

from __future__ import annotations

import pytest

from speech.errors import ConfigurationError
from speech.moments import find_moments
from speech.phrases import load_phrases
from speech.types import Utterance


def conv(rows):
    return [Utterance(id=f"u{k}", speaker=s, role=r, start=k * 3.0, end=k * 3.0 + 2, text=t) for k, (s, r, t) in enumerate(rows, 1)]


def kinds(moments):
    return [(m.type, m.utterance_id, m.phrase) for m in moments]


def test_english_moments():
    utts = conv([
        ("R", "rep", "A common concern is that it's too expensive, but our pricing is per seat."),
        ("C", "customer", "Honestly it's too expensive for us, we already use HubSpot."),
        ("R", "rep", "Let's schedule a demo next week."),
    ])
    got = kinds(find_moments(utts, load_phrases("en")))
    assert ("objection", "u2", "too expensive") in got
    assert ("competitor", "u2", "HubSpot") in got
    assert ("pricing", "u1", "too expensive") not in got and any(t == "pricing" and u == "u1" for t, u, _ in got)
    assert ("next_step", "u3", "schedule a") in got
    assert not any(t == "objection" and u == "u1" for t, u, _ in got)  # the rep does not object


def test_chinese_moments():
    utts = conv([
        ("A", "rep", "我们的报价是每年二十万。"),
        ("B", "customer", "太贵了，我们也在看迈瑞的方案。"),
        ("A", "rep", "那我下周把方案发给您。"),
    ])
    got = kinds(find_moments(utts, load_phrases("zh")))
    assert ("pricing", "u1", "报价") in got
    assert ("objection", "u2", "太贵") in got
    assert ("competitor", "u2", "迈瑞") in got
    assert any(t == "next_step" and u == "u3" for t, u, _ in got)


def test_extra_competitors_and_word_boundaries():
    p = load_phrases("en", extra_competitors=["Acme Imaging"])
    utts = conv([("C", "customer", "We use acme imaging today."), ("C", "customer", "Gongs and gongfu are not Gong.")])
    got = kinds(find_moments(utts, p))
    assert ("competitor", "u1", "Acme Imaging") in got
    assert [x for x in got if x[1] == "u2"] == [("competitor", "u2", "Gong")]


def test_phrases_file_overrides_lists(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("objection: [not for us]\ncompetitors: [Zeta Corp]\n", encoding="utf-8")
    p = load_phrases("en", str(f))
    got = kinds(find_moments(conv([("C", "customer", "This is too expensive and not for us; Zeta Corp is cheaper.")]), p))
    assert ("objection", "u1", "not for us") in got and ("competitor", "u1", "Zeta Corp") in got
    assert "HubSpot" not in p["competitors"].entries
    assert "we offer" in p.rep_cues["presentation"].entries  # keys not in the file keep the bundled lists


@pytest.mark.parametrize(
    ("content", "match"),
    [("objection: not-a-list\n", "list of strings"), ("[1, 2]\n", "mapping"), ("a: [\n", "YAML"),
     ("pricing: ['re:([unclosed']\n", "regular expression")],
)
def test_bad_phrases_file(tmp_path, content, match):
    f = tmp_path / "bad.yaml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=match):
        load_phrases("en", str(f))


def test_missing_phrases_file_and_unknown_language(tmp_path):
    with pytest.raises(ConfigurationError, match="not found"):
        load_phrases("en", str(tmp_path / "none.yaml"))
    assert any("'de'" in w for w in load_phrases("de").warnings)
