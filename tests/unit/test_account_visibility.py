"""Cross-rep leakage through account context (issue 12): a rep's chat prompt, the chat's
fallback answer and a pre-visit script built for an account carry no call, quote,
e-mail or phone number the rep may not see through the API."""

from __future__ import annotations

import pytest

from coach.accounts.service import AccountService
from coach.chat import ChatService
from coach.llm.fake import FakeChatModel
from coach.services import Services
from test_chat import CASES, FakeKB

QUOTE = "our board froze every purchase until the audit closes"
EMAIL = "cfo@harbourview.example.com"
PHONE = "+86 139 5555 0199"


@pytest.fixture
def world(settings):
    from coach.db.models import Account, Analysis, Call, Contact, Team, User

    svc = Services(settings, kb=FakeKB(CASES), llm=FakeChatModel(error="endpoint down"))
    with svc.db.session() as s:
        a, b = Team(name="A"), Team(name="B")
        s.add_all([a, b])
        s.flush()
        rep1 = User(username="rep1", role="rep", team_id=a.id)
        rep3 = User(username="rep3", role="rep", team_id=b.id)
        mgr_b = User(username="manager2", role="manager", team_id=b.id)
        s.add_all([rep1, rep3, mgr_b])
        s.flush()
        acc = Account(name="Harbourview Hospital", industry="medical-devices", owner_id=rep3.id, notes="price sensitive")
        s.add(acc)
        s.flush()
        s.add(Contact(account_id=acc.id, name="Liu Yang", title="CFO", email=EMAIL, phone=PHONE))
        call = Call(user_id=rep3.id, account_id=acc.id, title="Harbourview budget call", status="analyzed")
        s.add(call)
        s.flush()
        s.add(Analysis(call_id=call.id, document={"moments": [{"type": "objection", "time": 12.0, "text": QUOTE}]}))
        ids = {"rep1": rep1.id, "rep3": rep3.id, "manager2": mgr_b.id, "call": call.id}
    return svc, ids


class EmptyKB:
    def search(self, *_a, **_k):
        return []

    def stats(self):
        return {"cases": 0}

    def has_case(self, _id):
        return False


def _leaks(text: str, call_id: str) -> list[str]:
    return [x for x in (call_id, QUOTE, EMAIL, PHONE) if x in text]


def test_account_context_follows_call_permissions(world):
    svc, ids = world
    accounts = AccountService(svc.db)
    other = accounts.get_account_context("Harbourview Hospital", viewer_id=ids["rep1"])
    assert _leaks(other.model_dump_json(), ids["call"]) == []
    assert other.contacts[0].name == "Liu Yang" and other.notes == "price sensitive"
    for who in ("rep3", "manager2"):
        own = accounts.get_account_context("Harbourview Hospital", viewer_id=ids[who])
        assert len(_leaks(own.model_dump_json(), ids["call"])) == 4
    assert len(_leaks(accounts.get_account_context("Harbourview Hospital").model_dump_json(), ids["call"])) == 4


def test_chat_prompt_and_fallback_hold_nothing_of_another_reps_calls(world):
    svc, ids = world
    svc.__dict__["llm"] = llm = FakeChatModel()
    question = "Harbourview Hospital says the price is too high, what worked for hospitals?"
    ans = ChatService(svc).ask(None, ids["rep1"], question).collect()
    prompt = "\n".join(str(m.content) for call in llm.calls for m in call)
    assert llm.calls and _leaks(prompt, ids["call"]) == [] and _leaks(ans.text, ids["call"]) == []
    # the fallback answer (model down) is built from the same filtered context
    svc.__dict__["llm"] = FakeChatModel(error="endpoint down")
    ans = ChatService(svc).ask(None, ids["rep1"], question).collect()
    assert not ans.ok and _leaks(ans.text, ids["call"]) == []
    # the owner does get their own call into the prompt
    svc.__dict__["llm"] = llm = FakeChatModel()
    ChatService(svc).ask(None, ids["rep3"], question).collect()
    prompt = "\n".join(str(m.content) for call in llm.calls for m in call)
    assert ids["call"] in prompt


def test_previsit_plan_uses_only_visible_calls(world):
    from scripts_gen.plan import build_plan

    svc, ids = world
    svc.__dict__["kb"] = EmptyKB()
    plan = build_plan(svc, account="Harbourview Hospital", user_id=ids["rep1"])
    assert _leaks(repr(plan), ids["call"]) == []
    plan = build_plan(svc, account="Harbourview Hospital", user_id=ids["rep3"])
    assert QUOTE in repr(plan) or ids["call"] in repr(plan)
