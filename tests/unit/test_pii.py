"""PII redaction: each kind, Chinese formats, checksums, and what must NOT be redacted."""

from __future__ import annotations

import pytest

from coach.privacy.pii import cn_id_ok, luhn_ok, redact, redact_analysis, redact_for_storage


@pytest.mark.parametrize(
    "text, kind",
    [
        ("call 13812345678 today", "phone"),
        ("call 138 1234 5678 today", "phone"),
        ("call +86 139-1234-5678", "phone"),
        ("电话：13912345678，谢谢", "phone"),
        ("office +44 20 7946 0958", "phone"),
        ("US (555) 123-4567", "phone"),
        ("US 415-555-0132", "phone"),
        ("座机 021-64370045", "phone"),
        ("mail li.wei@renji.example.cn now", "email"),
        ("邮箱zhang@hosp.com.cn", "email"),
        ("card 4111 1111 1111 1111", "card"),
        ("card 5500-0000-0000-0004", "card"),
        ("ID 11010519491231002X", "national_id"),
        ("SSN 123-45-6789", "national_id"),
    ],
)
def test_each_kind_is_redacted(text: str, kind: str) -> None:
    r = redact(text)
    assert r.counts.get(kind) == 1, (r.text, r.counts)
    assert r.total == 1
    assert f"[{ 'NATIONAL_ID' if kind == 'national_id' else kind.upper()}]" in r.text


@pytest.mark.parametrize(
    "text",
    [
        "Deal size 3,600,000 CNY, signed 2023-05-12",
        "12 units at 45000 each; order 123456789; PO 2024001",
        "card-like but bad Luhn 4111 1111 1111 1112",
        "ID-like but bad checksum 110105194912310021",
        "amount 1 200 000.50 and ref 20240512",
        "talk ratio 43%, 11-14 questions",
    ],
)
def test_business_numbers_are_kept(text: str) -> None:
    r = redact(text)
    assert r.text == text and r.total == 0


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert cn_id_ok("11010519491231002X") and not cn_id_ok("110105194912310021")


def test_mixed_text_counts_and_empty() -> None:
    r = redact("Li Wei 13812345678 li@x.cn, Wang 13987654321")
    assert r.counts == {"phone": 2, "email": 1}
    assert "13812345678" not in r.text and "Li Wei" in r.text
    assert redact("").text == "" and redact("").total == 0


def test_redact_analysis_document_and_storage_switch() -> None:
    doc = {
        "utterances": [{"id": "u1", "text": "my mobile is 13812345678"}, {"id": "u2", "text": "ok"}],
        "moments": [{"type": "next_step", "text": "send it to a@b.com"}],
        "emotion_shifts": [{"evidence": "after 13812345678 was mentioned"}],
    }
    red, counts = redact_analysis(doc)
    assert counts == {"phone": 2, "email": 1}
    assert red["utterances"][0]["text"] == "my mobile is [PHONE]"
    assert doc["utterances"][0]["text"].endswith("13812345678"), "input must not be modified"

    class S:
        redact_stored_transcripts = False

    assert redact_for_storage(S(), doc) is doc
    S.redact_stored_transcripts = True
    assert "[EMAIL]" in redact_for_storage(S(), doc)["moments"][0]["text"]


@pytest.mark.parametrize(
    "text, kind",
    [  # issue 12: gaps found by a hostile tester
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "iban"),
        ("IBAN DE89370400440532013000", "iban"),
        ("call me at 4155550132", "phone"),
        ("call me at 415 555 0132", "phone"),
        ("London office 020 7946 0958", "phone"),
        ("Berlin 030 1234567", "phone"),
        ("mobile 07700 900123", "phone"),
        ("手机１３８１２３４５６７８", "phone"),
        ("身份证 110105491231002", "national_id"),
        ("身份证１１０１０５１９４９１２３１００２Ｘ", "national_id"),
        ("write to john dot smith at acme dot com", "email"),
        ("邮箱 zhang 艾特 hosp 点 com", "email"),
        ("ｌｉ．ｗｅｉ＠ｒｅｎｊｉ．ｃｎ", "email"),
        ("my number is five five five one two three four five six seven", "phone"),
        ("我的电话是一三八一二三四五六七八", "phone"),
    ],
)
def test_issue12_gaps_are_redacted(text: str, kind: str) -> None:
    r = redact(text)
    assert r.counts.get(kind) == 1 and r.total == 1, (r.text, r.counts)
    assert "[" in r.text


@pytest.mark.parametrize(
    "text",
    [
        "IBAN-like but bad checksum GB82 WEST 1234 5698 7654 33",
        "we sold three hundred and sixty units, two or three per ward",
        "预算三百六十万元，二〇二五年签约",
        "invoice 1234567890 is paid",  # first digit 1: not a North American number
        "version 0.12 and 0 5",
    ],
)
def test_issue12_business_text_is_kept(text: str) -> None:
    r = redact(text)
    assert r.text == text and r.total == 0, r.counts
