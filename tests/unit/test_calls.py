"""CallStore: durable uploads, atomic analysis saves, status transitions."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from coach.calls.store import CallStore, safe_filename
from coach.db.models import Analysis, Call, User, UtteranceRow
from coach.errors import CorruptInputError, NotFoundError
from speech.types import AnalyzeOptions, AudioInfo, CallAnalysis, EmotionShift, Metrics, SpeakerInfo, Utterance


def sample_analysis(n: int = 3) -> CallAnalysis:
    utts = [
        Utterance(id=f"u{i + 1}", speaker="S1" if i % 2 == 0 else "S2", role="rep" if i % 2 == 0 else "customer",
                  start=i * 2.0, end=i * 2.0 + 1.5, text=f"utterance {i + 1}", sentiment=0.1 * i)
        for i in range(n)
    ]
    return CallAnalysis(
        source="call.wav",
        audio=AudioInfo(duration_s=42.0, channels=1, sample_rate=16000),
        language="en",
        speakers=[SpeakerInfo(id="S1", role="rep", talk_s=3.0), SpeakerInfo(id="S2", role="customer", talk_s=1.5)],
        utterances=utts,
        metrics=Metrics(talk_ratio=0.66, questions_rep=2),
        emotion_shifts=[
            EmotionShift(utterance_id="u2", time=2.0, speaker="S2", role="customer", direction="negative",
                         **{"from": "neutral (0.00)"}, to="negative (-0.60)", cause_utterance_id="u1", evidence="x"),
        ],
    )


@pytest.fixture
def store(services):
    return CallStore(services.db, services.settings)


@pytest.fixture
def upload(tmp_path):
    p = tmp_path / "my call (1).wav"
    p.write_bytes(b"RIFF" + b"\x01" * 100)
    return p


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_create_call_copies_original_first(store, upload, services):
    call_id = store.create_call(upload, title="Kickoff")
    call = store.get_call(call_id)
    stored = services.settings.uploads_dir / call_id / "my_call_1.wav"
    assert call["stored_path"] == str(stored) and stored.read_bytes() == upload.read_bytes()
    assert call["sha256"] == hashlib.sha256(upload.read_bytes()).hexdigest()
    assert call["status"] == "pending" and call["title"] == "Kickoff"
    assert call["original_filename"] == "my call (1).wav"
    assert not list(stored.parent.glob(".*.part"))


def test_safe_filename_keeps_extension():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\x\\Call Ünïcode.MP3") == "Call_Ünïcode.mp3"
    assert safe_filename("客户 会议.m4a") == "客户_会议.m4a"
    assert safe_filename("....") == "upload"


def test_save_and_get_analysis_roundtrip(store, upload, services):
    call_id = store.create_call(upload)
    a = sample_analysis()
    store.save_analysis(call_id, a)
    back = store.get_analysis(call_id)
    assert back == a
    call = store.get_call(call_id)
    assert call["status"] == "analyzed" and call["language"] == "en"
    assert call["duration_s"] == 42.0 and call["talk_ratio"] == 0.66 and call["negative_shifts"] == 1
    with services.db.session() as s:
        rows = s.scalars(select(UtteranceRow).where(UtteranceRow.call_id == call_id).order_by(UtteranceRow.idx)).all()
        assert [r.uid for r in rows] == ["u1", "u2", "u3"] and rows[1].role == "customer"


def test_resave_replaces_previous_analysis(store, upload, services):
    call_id = store.create_call(upload)
    store.save_analysis(call_id, sample_analysis(3))
    store.save_analysis(call_id, sample_analysis(5))
    assert len(store.get_analysis(call_id).utterances) == 5
    assert count(services.db, UtteranceRow) == 5 and count(services.db, Analysis) == 1


def test_failed_save_leaves_nothing_half_written(store, upload, services):
    call_id = store.create_call(upload)
    store.save_analysis(call_id, sample_analysis(2))
    bad = sample_analysis(4)
    bad.utterances[3].id = "u1"  # duplicate utterance id violates (call_id, uid)
    with pytest.raises(Exception):
        store.save_analysis(call_id, bad)
    # the previous analysis is intact: no mix of old and new rows
    assert len(store.get_analysis(call_id).utterances) == 2
    assert count(services.db, UtteranceRow) == 2 and count(services.db, Analysis) == 1
    assert store.get_call(call_id)["status"] == "analyzed"


def test_failed_first_save_writes_nothing(store, upload, services):
    call_id = store.create_call(upload)
    bad = sample_analysis(2)
    bad.utterances[1].id = "u1"
    with pytest.raises(Exception):
        store.save_analysis(call_id, bad)
    assert count(services.db, UtteranceRow) == 0 and count(services.db, Analysis) == 0
    assert store.get_call(call_id)["status"] == "pending"
    with pytest.raises(NotFoundError, match="no analysis"):
        store.get_analysis(call_id)


def test_missing_call(store):
    with pytest.raises(NotFoundError):
        store.get_call("nope")
    with pytest.raises(NotFoundError):
        store.get_analysis("nope")
    with pytest.raises(NotFoundError):
        store.save_analysis("nope", sample_analysis())


class FakeAnalyzer:
    def __init__(self, result=None, error=None):
        self.result, self.error, self.options, self.path = result, error, None, None

    def analyze(self, path, options=None, *, on_progress=None):
        self.path, self.options = path, options
        if on_progress:
            on_progress("transcribe", 0.5)
        if self.error:
            raise self.error
        return self.result


def test_analyze_call_success(store, upload):
    call_id = store.create_call(upload)
    seen = []
    fake = FakeAnalyzer(sample_analysis())
    a = store.analyze_call(call_id, fake, AnalyzeOptions(language="en"), on_progress=lambda s, f: seen.append((s, f)))
    assert str(fake.path) == store.get_call(call_id)["stored_path"]
    assert fake.options.language == "en" and seen == [("transcribe", 0.5)]
    assert a.source == "my call (1).wav"
    assert store.get_call(call_id)["status"] == "analyzed"


def test_analyze_call_failure_is_recorded_and_original_kept(store, upload):
    call_id = store.create_call(upload)
    fake = FakeAnalyzer(error=CorruptInputError("x.wav is truncated or corrupt", detail="Invalid data"))
    with pytest.raises(CorruptInputError):
        store.analyze_call(call_id, fake)
    call = store.get_call(call_id)
    assert call["status"] == "failed"
    assert call["error"] == "x.wav is truncated or corrupt (Invalid data)"
    from pathlib import Path

    assert Path(call["stored_path"]).read_bytes() == upload.read_bytes()


def test_analyze_call_unexpected_error_is_recorded(store, upload):
    call_id = store.create_call(upload)
    with pytest.raises(RuntimeError):
        store.analyze_call(call_id, FakeAnalyzer(error=RuntimeError("boom")))
    assert store.get_call(call_id)["error"] == "RuntimeError: boom"


def test_analyze_call_uses_the_owners_enrolled_voice(store, upload, services):
    with services.db.session() as s:
        u = User(username="alice", role="rep", voice_embedding=[0.1, 0.2, 0.3])
        s.add(u)
        s.flush()
        uid = u.id
    call_id = store.create_call(upload, user_id=uid)
    fake = FakeAnalyzer(sample_analysis())
    store.analyze_call(call_id, fake)
    assert fake.options.rep_voice.tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert fake.options.rep_name == "alice"


def test_list_calls_filters(store, upload):
    a = store.create_call(upload, user_id=None)
    b = store.create_call(upload)
    store.save_analysis(b, sample_analysis())
    ids = [c["id"] for c in store.list_calls()]
    assert set(ids) == {a, b}
    assert [c["id"] for c in store.list_calls(status="analyzed")] == [b]
    assert store.list_calls(user_ids=[]) == []
    assert len(store.list_calls(limit=1)) == 1


def test_mark_failed(store, upload, services):
    call_id = store.create_call(upload)
    store.mark_failed(call_id, "decoder exploded")
    with services.db.session() as s:
        call = s.get(Call, call_id)
        assert call.status == "failed" and call.error == "decoder exploded"


def test_redacted_storage(services, upload):
    services.settings.redact_stored_transcripts = True
    store = CallStore(services.db, services.settings)
    call_id = store.create_call(upload)
    a = sample_analysis(2)
    a.utterances[0].text = "call me at alice@example.com"
    store.save_analysis(call_id, a)
    assert store.get_analysis(call_id).utterances[0].text == "call me at [EMAIL]"
    with services.db.session() as s:
        row = s.scalars(select(UtteranceRow).where(UtteranceRow.uid == "u1")).one()
        assert row.text == "call me at [EMAIL]"
