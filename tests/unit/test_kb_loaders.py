"""Loaders: Markdown, TXT, PDF, DOCX, CRM CSV; and every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.errors import (
    CorruptInputError,
    EmptyInputError,
    TooLargeError,
    UnsupportedMediaError,
    ValidationFailed,
)
from retrieval.crm_csv import load_crm_csv
from retrieval.files import decode_text
from retrieval.loaders import load_file

MB = 1_000_000
CASE = """---
id: {id}
title: {title}
industry: medical devices
product: ultrasound
outcome: won
---
{body}
"""


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with real text (Helvetica), built by hand."""
    ops = " ".join(f"({ln}) Tj 0 -16 Td" for ln in lines)
    content = f"BT /F1 12 Tf 72 720 Td {ops} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def load(path: Path, **kw):
    return load_file(path, max_bytes=kw.pop("max_bytes", 20 * MB), **kw)


# ---- Markdown / TXT -----------------------------------------------------------------------
def test_markdown_case(tmp_path):
    p = tmp_path / "a.md"
    p.write_text(CASE.format(id="a1", title="Alpha", body="Body text."), encoding="utf-8")
    [case] = load(p).cases
    assert (case.id, case.title, case.body, case.source) == ("a1", "Alpha", "Body text.", str(p))


def test_markdown_without_front_matter_is_an_error(tmp_path):
    p = tmp_path / "notes.md"
    p.write_text("# Meeting notes\nno metadata here", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="missing front matter"):
        load(p)


def test_txt_with_sidecar_metadata(tmp_path):
    p = tmp_path / "Renji Deal.txt"
    p.write_text("Renji hospital ultrasound deal\nThey cared about uptime.", encoding="utf-8")
    (tmp_path / "Renji Deal.txt.meta.yaml").write_text("industry: medical devices\nproduct: ultrasound\noutcome: lost\n")
    [case] = load(p).cases
    assert case.id == "renji-deal" and case.title == "Renji hospital ultrasound deal" and case.outcome == "lost"


def test_txt_outcome_from_folder_and_missing_fields_hint(tmp_path):
    won = tmp_path / "won"
    won.mkdir()
    p = won / "deal.txt"
    p.write_text("---\nindustry: retail\nproduct: POS\n---\nA retail deal.", encoding="utf-8")
    [case] = load(p).cases
    assert case.outcome == "won" and case.industry == "retail"
    q = tmp_path / "other.txt"
    q.write_text("A deal without metadata.", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        load(q)
    assert "outcome" in exc.value.message and "meta.yaml" in (exc.value.detail or "")


def test_empty_and_whitespace_files(tmp_path):
    (tmp_path / "e.md").write_bytes(b"")
    (tmp_path / "w.txt").write_text("   \n\n  ")
    with pytest.raises(EmptyInputError, match="empty"):
        load(tmp_path / "e.md")
    with pytest.raises(EmptyInputError, match="no text"):
        load(tmp_path / "w.txt")


def test_binary_file_named_md(tmp_path):
    p = tmp_path / "x.md"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(UnsupportedMediaError, match="binary"):
        load(p)


def test_huge_file_rejected_before_reading(tmp_path):
    p = tmp_path / "big.md"
    p.write_text(CASE.format(id="b", title="B", body="x " * 600_000))
    with pytest.raises(TooLargeError, match="over the 1.0 MB limit") as exc:
        load(p, max_bytes=1 * MB)
    assert "MAX_FILE_MB" in exc.value.detail


def test_unsupported_type(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedMediaError, match=r"\.xlsx"):
        load(p)


def test_gbk_and_utf16_text_decoding():
    zh = "客户担心价格，我们提供了三年维保方案。"
    assert decode_text(zh.encode("gbk")) == zh
    assert decode_text(("\ufeff" + zh).encode("utf-16-le")).lstrip("\ufeff") == zh
    assert decode_text("Café prices".encode("cp1252")).startswith("Caf")


# ---- PDF / DOCX ---------------------------------------------------------------------------
def test_pdf_with_text_and_sidecar(tmp_path):
    p = tmp_path / "renji.pdf"
    p.write_bytes(make_pdf(["Renji hospital case study", "Price objection handled with a 3-year plan."]))
    (tmp_path / "renji.meta.yaml").write_text("id: renji-pdf\nindustry: medical devices\nproduct: ultrasound\noutcome: won\n")
    [case] = load(p).cases
    assert case.id == "renji-pdf"
    assert "3-year plan" in case.body and case.title == "Renji hospital case study"


def test_pdf_without_text(tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=612, height=792)
    p = tmp_path / "scan.pdf"
    with p.open("wb") as f:
        w.write(f)
    with pytest.raises(EmptyInputError, match="no extractable text"):
        load(p)


def test_corrupt_pdf(tmp_path):
    p = tmp_path / "bad.pdf"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage garbage")
    with pytest.raises((CorruptInputError, EmptyInputError)):
        load(p)
    q = tmp_path / "fake.pdf"
    q.write_text("not a pdf at all")
    with pytest.raises(CorruptInputError, match="not a PDF"):
        load(q)


def test_docx_with_table(tmp_path):
    import docx

    d = docx.Document()
    d.core_properties.title = "Glow beauty CRM"
    d.add_paragraph("---")
    for line in ("id: glow-crm", "industry: beauty retail", "product: CRM", "outcome: lost"):
        d.add_paragraph(line)
    d.add_paragraph("---")
    d.add_paragraph("The chain chose a cheaper competitor.")
    t = d.add_table(rows=1, cols=2)
    t.rows[0].cells[0].text = "Discount asked"
    t.rows[0].cells[1].text = "15%"
    p = tmp_path / "glow.docx"
    d.save(p)
    [case] = load(p).cases
    assert (case.id, case.title, case.outcome) == ("glow-crm", "Glow beauty CRM", "lost")
    assert "Discount asked | 15%" in case.body


def test_corrupt_docx(tmp_path):
    p = tmp_path / "bad.docx"
    p.write_bytes(b"PK\x03\x04broken zip")
    with pytest.raises(CorruptInputError, match="DOCX"):
        load(p)


# ---- CRM CSV -------------------------------------------------------------------------------
SF = (
    "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Industry,Product,Close Date,Description\n"
    "006A,Renji ultrasound,Renji Hospital,Closed Won,\"1,200,000\",Medical Devices,Ultrasound,2024-03-01,Won on TCO\n"
    "006B,Glow CRM,Glow Beauty,Closed Lost,80000,Beauty Retail,CRM,2024-04-01,Lost on price\n"
    "006C,Fleet EV,Metro Taxi,Negotiation,500000,NEV,EV fleet,2024-05-01,Still open\n"
    "006D,Bad row,Acme,Closed Won,lots,Retail,POS,2024-05-01,amount is text\n"
)


def test_salesforce_export(tmp_path):
    p = tmp_path / "opps.csv"
    p.write_text(SF, encoding="utf-8")
    res = load(p)
    assert [c.id for c in res.cases] == ["crm-006a", "crm-006b"]
    won, lost = res.cases
    assert won.outcome == "won" and won.deal_size == 1_200_000 and won.customer == "Renji Hospital"
    assert lost.outcome == "lost" and "Lost on price" in lost.body and "Amount: 80000" in lost.body
    assert len(res.skipped) == 1 and "open stage 'Negotiation'" in res.skipped[0][1]
    assert len(res.errors) == 1 and res.errors[0][0].endswith("#row5") and "deal_size" in res.errors[0][1]


def test_gbk_csv_with_chinese_headers(tmp_path):
    text = (
        "商机名称,客户名称,阶段,金额,行业,产品,地区\n"
        "仁济超声项目,仁济医院,赢单,1200000,医疗器械,超声,上海\n"
        "车队项目,出租车公司,输单,500000,新能源汽车,电动车,广州\n"
    )
    p = tmp_path / "crm.csv"
    p.write_bytes(text.encode("gbk"))
    res = load(p)
    assert [(c.title, c.outcome, c.region) for c in res.cases] == [("仁济超声项目", "won", "上海"), ("车队项目", "lost", "广州")]
    assert res.cases[0].id == "crm-row2" and not res.errors


def test_csv_missing_columns(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Name,Amount\nA,1\n")
    with pytest.raises(ValidationFailed, match="missing required column") as exc:
        load(p)
    assert "stage or outcome" in exc.value.message and "Name, Amount" in exc.value.detail


def test_csv_column_map_defaults_and_semicolons(tmp_path):
    p = tmp_path / "deals.csv"
    p.write_text("Deal;Result;Segment;Notes\nHospital A;won;hospitals;Great trial\nShop B;maybe;retail;??\n")
    (tmp_path / "deals.csv.meta.yaml").write_text("product: ultrasound\ncolumns:\n  title: Deal\n")
    res = load_crm_csv(p, max_bytes=MB, columns={"industry": "Segment"})
    assert [(c.title, c.outcome, c.industry, c.product) for c in res.cases] == [("Hospital A", "won", "hospitals", "ultrasound")]
    assert "unknown outcome 'maybe'" in res.errors[0][1]


def test_csv_header_only_and_wrong_map(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("Opportunity Name,Stage,Industry,Product\n")
    with pytest.raises(EmptyInputError, match="no data rows"):
        load(p)
    with pytest.raises(ValidationFailed, match="'Deal Name'"):
        load(p, csv_columns={"title": "Deal Name"})
