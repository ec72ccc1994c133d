"""Privacy at rest (issue 12): with stored-transcript redaction on, transcript uploads,
chat messages and review comments are stored without PII; the SQLite file is private;
an owner-less chat session cannot be joined from the API."""

from __future__ import annotations

import os
import stat

import pytest

from api_support import TRANSCRIPT, api, cheap_hashing  # noqa: F401 - fixtures

PII = "call me on 13812345678 or li.wei@renji.example.cn"


def test_database_file_is_owner_only(api):
    url = api.services.settings.db_url
    if not url.startswith("sqlite:///"):
        pytest.skip("not SQLite")
    mode = stat.S_IMODE(os.stat(url.removeprefix("sqlite:///")).st_mode)
    assert mode == 0o600, oct(mode)


def test_stored_uploads_comments_and_chat_are_redacted(api):
    from coach.chat.sessions import ChatStore
    from coach.db.models import ChatMessage, Call, ReportComment

    api.services.settings.redact_stored_transcripts = True
    call_id = api.analysed_call("rep1", data=(TRANSCRIPT + f"Customer: {PII}\n").encode())
    with api.services.db.session() as s:
        stored = api.services.settings.stored_absolute(s.get(Call, call_id).stored_path)
    text = stored.read_text(encoding="utf-8")
    assert "13812345678" not in text and "[PHONE]" in text and "[EMAIL]" in text

    r = api.client.post(f"/api/v1/calls/{call_id}/comments", headers=api.h("rep1"), json={"text": f"note: {PII}"})
    assert r.status_code in (200, 201), r.text
    store = ChatStore(api.services.db, redact=True)
    sid = store.open(None, api.users["rep1"].id, PII)
    store.add(sid, "user", PII)
    with api.services.db.session() as s:
        saved = [c.text for c in s.query(ReportComment)] + [m.content for m in s.query(ChatMessage)]
    assert saved and all("13812345678" not in t and "renji" not in t for t in saved)


def test_ownerless_chat_session_is_not_joinable(api):
    from coach.chat.sessions import ChatStore
    from coach.errors import NotFoundError

    store = ChatStore(api.services.db)
    cli_session = store.open(None, None, "from the command line")
    with pytest.raises(NotFoundError):
        store.open(cli_session, api.users["rep1"].id, "let me in")
    assert store.open(cli_session, None, "the CLI itself") == cli_session
