"""Accounts import (idempotent upserts, per-row errors) and the account context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coach.accounts.service import AccountService, import_directory
from coach.errors import InputError, NotFoundError

ACCOUNTS = """name,industry,region,size,owner,notes
Renji Hospital,medical devices,Shanghai,large,rep1,Tertiary hospital; price sensitive
Eastbank Clinic,medical devices,Hangzhou,small,nobody,
"""
CONTACTS = """account,name,title,email,phone,notes
Renji Hospital,Dr. Li,Head of procurement,li@renji.example.cn,13812345678,
renji hospital,Wang Fang,Head of radiology,,,
Unknown Corp,Ghost,CEO,,,
"""
OPPS = """account,name,product,stage,amount,currency,close_date,status,open_objections
Renji Hospital,Ultrasound 2025,PortaScan,negotiation,"3,600,000",cny,2025-12-31,open,price; service response time
Renji Hospital,Monitors 2023,VitaLink,closed,900000,CNY,2023-05-01,won,
Eastbank Clinic,Bad amount,PortaScan,proposal,lots,CNY,,open,
Eastbank Clinic,Bad status,PortaScan,proposal,100,CNY,,maybe,
"""
INTERACTIONS = """account,user,date,kind,summary
Renji Hospital,rep1,2025-05-20,meeting,Demo with radiology
Renji Hospital,rep1,2025-03-01,call,Intro call
Renji Hospital,rep1,2024-11-02,email,Sent brochure
Eastbank Clinic,rep1,20/05/2025,call,bad date
"""


def write_demo(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in (("accounts", ACCOUNTS), ("contacts", CONTACTS), ("opportunities", OPPS), ("interactions", INTERACTIONS)):
        (d / f"{name}.csv").write_text(text, encoding="utf-8")
    (d / "users.csv").write_text("username,display_name,role,team\nrep1,Rep One,rep,A\n", encoding="utf-8")
    return d


@pytest.fixture
def db(services):
    from coach.db.models import User

    with services.db.session() as s:
        s.add(User(username="rep1", display_name="Rep One", role="rep"))
    return services.db


def test_import_reports_row_errors_and_imports_the_rest(db, tmp_path) -> None:
    report = AccountService(db).import_paths([write_demo(tmp_path / "crm")])
    assert report.created == {"accounts": 2, "contacts": 2, "opportunities": 2, "interactions": 3}
    msgs = {(e.file, e.line): e.message for e in report.errors}
    assert "unknown account 'Unknown Corp'" in msgs[("contacts.csv", 4)]
    assert "not a number" in msgs[("opportunities.csv", 4)]
    assert "not one of open, won, lost" in msgs[("opportunities.csv", 5)]
    assert "YYYY-MM-DD" in msgs[("interactions.csv", 5)]
    warn = [e for e in report.errors if e.level == "warning"]
    assert len(warn) == 1 and "nobody" in warn[0].message
    assert any("users.csv" in n for n in report.notes)


def test_import_is_idempotent_and_updates_changed_rows(db, tmp_path) -> None:
    d = write_demo(tmp_path / "crm")
    AccountService(db).import_paths([d])
    again = import_directory(db, d)
    assert again.created == {} and again.updated == {}
    assert again.unchanged["accounts"] == 2 and again.unchanged["interactions"] == 3
    (d / "accounts.csv").write_text(ACCOUNTS.replace("large", "very large"), encoding="utf-8")
    third = AccountService(db).import_paths([d / "accounts.csv"])
    assert third.updated == {"accounts": 1} and third.unchanged == {"accounts": 1}


def test_missing_columns_empty_file_and_gbk(db, tmp_path) -> None:
    bad = tmp_path / "contacts.csv"
    bad.write_text("account,title\nRenji Hospital,CEO\n", encoding="utf-8")
    empty = tmp_path / "accounts.csv"
    empty.write_text("", encoding="utf-8")
    report = AccountService(db).import_paths([bad, empty])
    assert any("missing column(s) name" in e.message for e in report.errors)
    assert any("empty" in e.message for e in report.errors)
    gbk = tmp_path / "gbk" / "accounts.csv"
    gbk.parent.mkdir()
    gbk.write_bytes("name,industry,region\n仁济医院,医疗器械,上海\n".encode("gbk"))
    r = AccountService(db).import_paths([gbk])
    assert r.created == {"accounts": 1} and AccountService(db).get_account_context("仁济医院").region == "上海"
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(InputError, match="no CSV"):
        AccountService(db).import_paths([tmp_path / "emptydir"])
    missing = AccountService(db).import_paths([tmp_path / "nope.csv", gbk])
    assert any("no such file" in e.message for e in missing.errors) and missing.unchanged == {"accounts": 1}


def test_account_context_history_and_recency(db, tmp_path) -> None:
    from coach.db.models import Account, Analysis, Call

    svc = AccountService(db)
    svc.import_paths([write_demo(tmp_path / "crm")])
    with db.session() as s:
        acc_id = s.query(Account.id).filter(Account.name == "Renji Hospital").scalar()
        call = Call(id="call0001", account_id=acc_id, status="analyzed", talk_ratio=0.61, negative_shifts=2,
                    created_at=dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc))
        s.add(call)
        s.add(Analysis(call_id="call0001", document={
            "metrics": {"talk_ratio": 0.61},
            "moments": [{"type": "pricing", "utterance_id": "u3", "time": 42.0, "text": "That is too expensive"}],
            "emotion_shifts": [{"direction": "negative"}, {"direction": "negative"}]}))
    ctx = svc.get_account_context("renji hospital", today=dt.date(2025, 6, 11))
    assert ctx.name == "Renji Hospital" and ctx.owner == "rep1"
    assert [c.name for c in ctx.contacts] == ["Dr. Li", "Wang Fang"]
    assert ctx.open_objections == ["price", "service response time"]
    opp = next(o for o in ctx.opportunities if o.name == "Ultrasound 2025")
    assert opp.amount == 3_600_000 and opp.currency == "CNY"
    assert ctx.last_contact_date == "2025-06-01" and ctx.days_since_last_contact == 10
    # 2025-05-20 and 2025-03-14.. window: 2025-03-13..2025-06-11 -> meeting + call0001 (2025-03-01 is older)
    assert ctx.interactions_last_90d == 2
    pc = ctx.past_calls[0]
    assert pc.call_id == "call0001" and pc.talk_ratio == 0.61 and pc.negative_shifts == 2
    assert pc.moments[0]["type"] == "pricing" and pc.moments[0]["time"] == 42.0
    text = ctx.to_prompt_text()
    assert "Open objections: price; service response time" in text and "13812345678" not in text


def test_unknown_account_suggests_close_names(db, tmp_path) -> None:
    svc = AccountService(db)
    with pytest.raises(NotFoundError, match="no accounts imported"):
        svc.get_account_context("Renji")
    svc.import_paths([write_demo(tmp_path / "crm")])
    with pytest.raises(NotFoundError, match="did you mean 'Renji Hospital'"):
        svc.get_account_context("Renji Hospitl")
    assert svc.get_account_context("renji").name == "Renji Hospital"  # unique partial match
    with pytest.raises(InputError):
        svc.get_account_context("  ")
    assert svc.find_mentioned("Tomorrow I see the head of procurement at RENJI HOSPITAL") == ["Renji Hospital"]
    rows = svc.list_accounts()
    assert [r.name for r in rows] == ["Eastbank Clinic", "Renji Hospital"]
    assert rows[1].open_opportunities == 1 and rows[1].last_contact_date == "2025-05-20"
