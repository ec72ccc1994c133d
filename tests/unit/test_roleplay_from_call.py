"""A simulation built from a stored analysed call: its customer's objections become
the agenda, in the customer's own words."""

import pytest

from coach.db.models import Account, Analysis, Call
from coach.errors import InputError, NotFoundError
from coach.roleplay.engine import Simulation
from coach.roleplay.from_call import classify_objection, persona_from_call
from coach.roleplay.service import RoleplayService


def _utt(uid, role, text, start):
    return {"id": uid, "speaker": "S1" if role == "rep" else "S2", "role": role, "start": start, "end": start + 4, "text": text}


DOC = {
    "language": "en",
    "utterances": [
        _utt("u1", "rep", "Thanks for meeting me today.", 0),
        _utt("u2", "customer", "We have about 300 beds and our monitors are ten years old now.", 5),
        _utt("u3", "customer", "Honestly your price is much higher than the other quote we have.", 10),
        _utt("u4", "rep", "A common concern is integration with the EHR.", 15),
        _utt("u5", "customer", "Our CIO worries about the EHR integration, last time it failed.", 20),
    ],
    "moments": [
        {"type": "pricing", "utterance_id": "u3", "time": 10, "text": "Honestly your price is much higher than the other quote we have."},
        {"type": "objection", "utterance_id": "u4", "time": 15, "text": "A common concern is integration with the EHR."},
        {"type": "objection", "utterance_id": "u5", "time": 20, "text": "Our CIO worries about the EHR integration, last time it failed."},
    ],
}


def _store(services, doc=DOC, analysed=True) -> str:
    from sqlalchemy import select

    with services.db.session() as s:
        acc = s.scalars(select(Account).where(Account.name == "Westlake Hospital")).first()
        if acc is None:
            acc = Account(name="Westlake Hospital", industry="medical-devices")
        s.add(acc)
        s.flush()
        call = Call(title="discovery", account_id=acc.id, status="analyzed" if analysed else "pending", language="en")
        s.add(call)
        s.flush()
        if analysed:
            s.add(Analysis(call_id=call.id, document=doc))
        return call.id


def test_customer_objections_become_the_agenda(services):
    cid = _store(services)
    p = persona_from_call(services, cid)
    assert p.id == f"call-{cid}" and p.company == "Westlake Hospital" and p.industry == "medical-devices"
    agenda = {a.objection: a for a in p.objection_agenda}
    assert set(agenda) == {"price", "integration"}  # the rep's own "common concern" is not the customer's
    assert agenda["price"].line.startswith("Honestly your price") and agenda["price"].trigger.when == "price_mentioned"
    assert agenda["integration"].line.startswith("Our CIO worries")
    assert p.background == ["We have about 300 beds and our monitors are ten years old now."]
    sim = Simulation(p, seed=0)
    b = sim.rep_turn("Our quote is $600,000 for the monitors.")
    assert b["act"] == "raise_objection" and b["objection"] == "price" and "Honestly your price" in b["text"]


def test_service_plays_a_call_persona(services):
    cid = _store(services)
    svc = RoleplayService(services)
    p = persona_from_call(services, cid)
    sid, _ = svc.start(p.id, None, 0, renderer="template", persona=p)
    for i in range(3):
        svc.rep_turn(sid, f"What matters most to you in question {i}?")
    assert svc.finish(sid)["rubric"] == p.rubric


def test_unknown_unanalysed_and_objectionless_calls(services):
    with pytest.raises(NotFoundError):
        persona_from_call(services, "nope")
    with pytest.raises(InputError, match="not analysed"):
        persona_from_call(services, _store(services, analysed=False))
    calm = {"language": "en", "utterances": DOC["utterances"][:2], "moments": []}
    with pytest.raises(InputError, match="no customer objections"):
        persona_from_call(services, _store(services, calm))


def test_objection_classifier():
    assert classify_objection("anything", "pricing", {}) == "price"
    assert classify_objection("We'd have to go to public tender for this", "objection", {}) == "procurement-process"
    assert classify_objection("我们领导要审批", "objection", {}) == "authority"
