"""A malicious-file corpus (issue 12), generated here (no committed binaries): each file
gets a clear 4xx or a failed job with a reason, the server keeps answering, and nothing
outside the data dir is read or written. Call uploads go through the REST API as a rep;
knowledge documents through the loaders the admin upload uses."""

from __future__ import annotations

import io
import json
import os
import struct
import wave
import zipfile

import numpy as np
import pytest

from api_support import TRANSCRIPT, api, cheap_hashing  # noqa: F401 - fixtures


def _wav(channels: int = 1, rate: int = 16000, seconds: float = 0.5, *, frames: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = int(rate * seconds)
        w.writeframes(frames if frames is not None else (np.zeros((n, channels), "<i2")).tobytes())
    return buf.getvalue()


def _wav_header(channels: int, rate: int, data_bytes: int) -> bytes:
    byte_rate = rate * channels * 2
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate,
            byte_rate, channels * 2, 16) + b"data" + struct.pack("<I", data_bytes))


RNG = np.random.default_rng(12)

#: (name, bytes): recordings and transcripts a hostile rep could upload
CALL_CORPUS: list[tuple[str, bytes]] = [
    ("eight-channels.wav", _wav(channels=8)),
    ("sixteen-channels.wav", _wav(channels=16, seconds=0.1)),
    ("huge-rate.wav", _wav(rate=384000, seconds=0.05)),
    ("header-only.wav", _wav_header(1, 16000, 0)),
    ("zero-channels.wav", _wav_header(0, 16000, 1000) + b"\x00" * 1000),
    ("empty.wav", b""),
    ("text-named.wav", b"Rep: hello there, this is not audio at all\n" * 20),
    ("random.mp3", RNG.bytes(20000)),
    ("truncated.m4a", b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom" + RNG.bytes(500)),
    ("garbage.ogg", b"OggS" + RNG.bytes(5000)),
    ("garbage.flac", b"fLaC" + RNG.bytes(5000)),
    ("picture.wav", b"\x89PNG\r\n\x1a\n" + RNG.bytes(2000)),
    ("zip.m4a", b"PK\x03\x04" + RNG.bytes(3000)),
    ("million-lines.txt", b"Rep: hi\n" * 1_000_000),
    ("one-long-line.txt", b"Rep: " + b"blah " * 60_000),
    ("binary.txt", bytes(range(256)) * 40),
    ("not-utf8.txt", "Rep: caf\xe9 \xff\xfe na\xefve\n".encode("latin-1") * 50),
    ("deep.json", b"[" * 200_000 + b"]" * 200_000),
    ("bad-shape.json", json.dumps({"utterances": [{"speaker": 5, "text": None, "start": "x"}] * 3}).encode()),
    ("huge-number.json", b'{"utterances": [{"speaker": "Rep", "text": "hi", "start": 1e99999, "end": 2}]}'),
    ("cues-only.vtt", b"WEBVTT\n\n" + b"00:00:01.000 --> 00:00:00.500\n\n" * 100),
    ("no-lines.srt", b"1\n00:00:01,000 --> 00:00:02,000\n\n" * 50),
    ("whitespace.txt", b" \n\t\n" * 100),
]

#: accepted but must be neutralised: payloads in text and hostile names
NEUTRAL_CORPUS: list[tuple[str, bytes]] = [
    # a header claiming 74 h over 4 KB of data: decoded as the 0.25 s that is there (with a warning)
    ("ten-hours-declared.wav", _wav_header(1, 8000, 0xFFFFFF00) + b"\x00" * 4000),
    ("html-payload.txt", (TRANSCRIPT + "Customer: <script>alert(1)</script><img src=https://evil.example/x> "
                          "![x](https://evil.example/leak.png)\n").encode()),
    ("../../../../escape.txt", TRANSCRIPT.encode()),
    ("nul\x00name.txt", TRANSCRIPT.encode() + b"Rep: one more line here.\n"),
    ("rtl\u202etxt.wav.txt", TRANSCRIPT.encode() + b"Rep: and another line.\n"),
    ("x" * 400 + ".txt", TRANSCRIPT.encode() + b"Rep: a last line.\n"),
]


def _docx(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _pdf_pages(n: int) -> bytes:
    """A minimal PDF with ``n`` empty pages (valid xref-less; pypdf reads it)."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"] * n
    out = b"%PDF-1.4\n"
    for i, body in enumerate(objs, 1):
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    return out + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


DOC_CORPUS: list[tuple[str, bytes]] = [
    ("zip-bomb.docx", _docx({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w>" + b"A" * (60 * 1024 * 1024) + b"</w>"})),
    ("thousands-of-pages.pdf", _pdf_pages(3000)),
    ("not-a-zip.docx", b"this is plain text named docx" * 10),
    ("truncated.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog"),
    ("random.pdf", b"%PDF-" + RNG.bytes(4000)),
]


def _outside_snapshot(root) -> set[str]:
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}


def test_malicious_call_uploads_are_refused_or_failed(api, tmp_path, record_property):
    data_dir = api.services.settings.data_dir
    watch = data_dir.parent  # the test's tmp dir: anything new outside data/ is an escape
    before = {p for p in _outside_snapshot(watch) if not p.startswith(str(data_dir))}
    outcomes: dict[str, str] = {}
    for name, payload in CALL_CORPUS + NEUTRAL_CORPUS:
        r = api.upload("rep1", name, payload)
        assert r.status_code < 500, (name, r.status_code, r.text)
        if r.status_code >= 400:
            assert r.json().get("detail"), (name, r.text)
            outcomes[name] = f"{r.status_code}"
            continue
        assert r.status_code == 202, (name, r.text)
        api.jobs.run_pending()
        job = api.client.get(f"/api/v1/jobs/{r.json()['job_id']}", headers=api.h("rep1")).json()
        outcomes[name] = job["status"] + (f": {job['error'][:80]}" if job.get("error") else "")
        if job["status"] == "failed":
            assert job["error"] and "internal error" not in job["error"], (name, job["error"])
        assert api.client.get("/api/v1/health").status_code == 200
    rejected = [n for n, _ in CALL_CORPUS if not outcomes[n].startswith("done")]
    assert rejected == [n for n, _ in CALL_CORPUS], {n: outcomes[n] for n, _ in CALL_CORPUS}
    for name, _ in NEUTRAL_CORPUS:  # accepted, analysed, and harmless
        assert outcomes[name].startswith("done"), (name, outcomes[name])
    after = {p for p in _outside_snapshot(watch) if not p.startswith(str(data_dir))}
    assert after == before, f"files written outside the data dir: {after - before}"
    from coach.db.models import Call

    root = api.services.settings.storage_dir.resolve()
    with api.services.db.session() as s:
        stored = [api.services.settings.stored_absolute(c.stored_path) for c in s.query(Call) if c.stored_path]
    for p in stored:  # hostile names (../, NUL, RTL override) end up as plain names inside the store
        assert str(p.resolve()).startswith(str(root)) and p.resolve().parent.parent in (
            api.services.settings.uploads_dir.resolve(), (root / "quarantine"))
        assert "\x00" not in p.name and "\u202e" not in p.name and ".." not in p.name, p.name
    _write_figures(malicious_files=len(CALL_CORPUS) + len(NEUTRAL_CORPUS), malicious_rejected=len(rejected),
                   malicious_neutralised=len(NEUTRAL_CORPUS))
    record_property("outcomes", outcomes)


@pytest.mark.parametrize("name, payload", DOC_CORPUS, ids=[n for n, _ in DOC_CORPUS])
def test_malicious_knowledge_documents_are_refused(name, payload, tmp_path):
    from retrieval.errors import RetrievalError
    from retrieval.loaders import load_file

    path = tmp_path / name
    path.write_bytes(payload)
    with pytest.raises(RetrievalError) as err:
        load_file(path, max_bytes=200 * 1024 * 1024)
    assert str(err.value)
    _write_figures(malicious_files=1, malicious_rejected=1)


def test_html_payload_is_rendered_inert(api):
    from ui.document_html import transcript_html

    call_id = api.analysed_call("rep1", "payload.txt", dict(NEUTRAL_CORPUS)["html-payload.txt"])
    doc = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()["analysis"]
    html = transcript_html(doc)
    assert "&lt;script&gt;alert(1)" in html and "<script>alert" not in html
    assert "<img src=https://evil" not in html and "](https://evil.example" not in html


def _write_figures(**figures: int) -> None:
    out = os.environ.get("SALESCOACH_SECURITY_FIGURES")
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(figures) + "\n")
