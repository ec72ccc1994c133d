"""parse_transcript: every format and each kind of bad input."""

from __future__ import annotations

import json

import pytest

from speech.errors import EmptyInputError, InputError, UnsupportedMediaError
from speech.transcripts import parse_transcript


def write(tmp_path, name, content, encoding="utf-8"):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding=encoding)
    return p


# ------------------------------------------------------------------- formats --
def test_vtt_voice_tags(tmp_path):
    p = write(tmp_path, "call.vtt", """WEBVTT

1
00:00:01.000 --> 00:00:04.500
<v Rep>Thanks for taking the time today.</v>

2
00:00:05.000 --> 00:00:07.000
<v.loud Customer>Sure, <i>happy</i> to chat.

NOTE this is a comment

00:01:02.250 --> 00:01:04.000
<v Rep>What are you using today?</v>
""")
    r = parse_transcript(p)
    assert [(u.id, u.speaker, u.start, u.end) for u in r.utterances] == [
        ("u1", "Rep", 1.0, 4.5), ("u2", "Customer", 5.0, 7.0), ("u3", "Rep", 62.25, 64.0)]
    assert r.utterances[1].text == "Sure, happy to chat."
    assert r.language == "en" and r.warnings == [] and r.timed


def test_vtt_speaker_colon_and_two_voices_in_one_cue(tmp_path):
    p = write(tmp_path, "c.vtt", "WEBVTT\n\n00:00.000 --> 00:04.000\nAlice: one two three\nBob: four\n")
    r = parse_transcript(p)
    assert [u.speaker for u in r.utterances] == ["Alice", "Bob"]
    # time split by words (3:1)
    assert r.utterances[0].end == pytest.approx(3.0) and r.utterances[1].start == pytest.approx(3.0)


def test_vtt_unlabeled_cues_warn(tmp_path):
    p = write(tmp_path, "c.vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nhello there\n")
    r = parse_transcript(p)
    assert r.utterances[0].speaker == "S1"
    assert any("no speaker label" in w for w in r.warnings)


def test_srt(tmp_path):
    p = write(tmp_path, "c.srt", """1
00:00:01,000 --> 00:00:03,000
Rep: Hello, this is Dana from Acme.

2
00:00:03,500 --> 00:00:05,000
Customer: Hi Dana.
""")
    r = parse_transcript(p)
    assert [(u.speaker, u.text, u.start) for u in r.utterances] == [
        ("Rep", "Hello, this is Dana from Acme.", 1.0), ("Customer", "Hi Dana.", 3.5)]


def test_srt_malformed_timing_names_line(tmp_path):
    p = write(tmp_path, "c.srt", "1\n00:00:01,000 --> 00:00:03,000\nRep: ok fine\n\n2\n00:00:xx --> 00:00:05\nCustomer: hi\n")
    r = parse_transcript(p)
    assert len(r.utterances) == 1
    assert any(w.startswith("line 6:") for w in r.warnings)


def test_json_full_analysis_keeps_ids_arousal_and_roles(tmp_path):
    data = {
        "schema_version": "1.0", "language": "en",
        "speakers": [{"id": "S1", "role": "rep", "talk_s": 2}, {"id": "S2", "role": "customer"}],
        "utterances": [
            {"id": "a7", "speaker": "S1", "start": 0, "end": 2, "text": "Hello", "arousal": 0.4},
            {"id": "a8", "speaker": "S2", "start": 2.5, "end": 3, "text": "Hi"},
        ],
    }
    r = parse_transcript(write(tmp_path, "a.json", json.dumps(data)))
    assert [u.id for u in r.utterances] == ["a7", "a8"]
    assert r.utterances[0].arousal == 0.4 and r.utterances[1].arousal is None
    assert r.role_hints == {"S1": "rep", "S2": "customer"}
    assert r.language == "en"


def test_json_bare_list_and_wrapper(tmp_path):
    items = [{"speaker": "A", "start": 3, "end": 4, "text": "later"}, {"speaker": "B", "start": 0, "end": 1, "text": "first"}]
    for content in (items, {"utterances": items}):
        r = parse_transcript(write(tmp_path, "b.json", json.dumps(content)))
        assert [(u.id, u.text) for u in r.utterances] == [("u1", "first"), ("u2", "later")]


def test_json_wrong_fields_skipped_with_warnings(tmp_path):
    items = [
        {"speaker": "A", "start": 0, "end": 1, "text": "ok"},
        {"who": "B", "start": 1, "end": 2, "text": "no speaker"},
        {"speaker": "B", "start": "1s", "end": 2, "text": "bad start"},
        {"speaker": "B", "start": 5, "end": 2, "text": "backwards"},
        "just a string",
    ]
    r = parse_transcript(write(tmp_path, "w.json", json.dumps(items)))
    assert len(r.utterances) == 1
    joined = " | ".join(r.warnings)
    for k in ("#2", "#3", "#4", "#5"):
        assert f"utterance {k}" in joined


def test_json_all_wrong_is_input_error(tmp_path):
    with pytest.raises(InputError, match="no valid transcript lines"):
        parse_transcript(write(tmp_path, "w.json", json.dumps([{"text": "x"}])))


def test_json_syntax_error_and_missing_utterances(tmp_path):
    with pytest.raises(InputError, match="not valid JSON"):
        parse_transcript(write(tmp_path, "x.json", '{"utterances": ['))
    with pytest.raises(InputError, match="no 'utterances'"):
        parse_transcript(write(tmp_path, "y.json", '{"lines": []}'))


def test_txt_synthesises_times_and_warns(tmp_path):
    r = parse_transcript(write(tmp_path, "t.txt", "Rep: one two three four five\nCustomer: six seven\n"))
    u1, u2 = r.utterances
    assert (u1.start, u1.end) == (0.0, 2.0)  # 5 words at 150 wpm
    assert u2.start == u1.end and u2.end == pytest.approx(2.8)
    assert not r.timed and any("150 words/min" in w for w in r.warnings)


def test_txt_with_timestamps(tmp_path):
    r = parse_transcript(write(tmp_path, "t.txt", "[00:05] Rep: hello there\n[00:09] Customer：你好\n"))
    assert r.timed and [u.start for u in r.utterances] == [5.0, 9.0]
    assert r.utterances[1].speaker == "Customer"


def test_txt_mixed_good_and_bad_lines_name_line_numbers(tmp_path):
    p = write(tmp_path, "m.txt", "Rep: hello\nthis line has no speaker\n\nCustomer: hi\n: empty speaker\nRep:\n")
    r = parse_transcript(p)
    assert [u.text for u in r.utterances] == ["hello", "hi"]
    bad = [w for w in r.warnings if w.startswith("line ")]
    assert [w.split(":")[0] for w in bad] == ["line 2", "line 5", "line 6"]


def test_txt_only_malformed_lines(tmp_path):
    with pytest.raises(InputError, match="no valid transcript lines") as exc:
        parse_transcript(write(tmp_path, "bad.txt", "no colon here\nnor here\n"))
    assert "line 1" in str(exc.value)
    assert not isinstance(exc.value, EmptyInputError)


@pytest.mark.parametrize("content", [b"", b"   \n\n  \t"])
def test_empty_file(tmp_path, content):
    with pytest.raises(EmptyInputError):
        parse_transcript(write(tmp_path, "e.txt", content))


def test_binary_file_named_txt(tmp_path):
    with pytest.raises(UnsupportedMediaError, match="binary"):
        parse_transcript(write(tmp_path, "b.txt", bytes(range(256)) * 4))


def test_audio_file_named_txt(tmp_path):
    with pytest.raises(UnsupportedMediaError, match="WAV audio"):
        parse_transcript(write(tmp_path, "a.txt", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64))


def test_gbk_encoded_file(tmp_path):
    text = "销售：您好，感谢您抽出时间。我们的产品可以帮您节省成本。\n客户：价格太高了，我们没有预算。\n"
    r = parse_transcript(write(tmp_path, "g.txt", text.encode("gbk")))
    assert [u.speaker for u in r.utterances] == ["销售", "客户"]
    assert r.utterances[1].text == "价格太高了，我们没有预算。"
    assert r.language == "zh"
    assert any("GBK" in w for w in r.warnings)


def test_utf8_bom(tmp_path):
    r = parse_transcript(write(tmp_path, "bom.txt", "\ufeffRep: hello\n", encoding="utf-8"))
    assert r.utterances[0].speaker == "Rep" and not any("GBK" in w for w in r.warnings)


def test_unsupported_extension_and_missing_file(tmp_path):
    with pytest.raises(UnsupportedMediaError):
        parse_transcript(write(tmp_path, "x.docx", "Rep: hi"))
    with pytest.raises(InputError, match="not found"):
        parse_transcript(tmp_path / "nope.txt")


def test_language_override_and_unknowable(tmp_path):
    assert parse_transcript(write(tmp_path, "l.txt", "A: hello\n"), language="de").language == "de"
    assert parse_transcript(write(tmp_path, "n.txt", "A: 123 456\n")).language is None
