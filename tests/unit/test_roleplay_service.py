"""RoleplayService: stored sessions, resumes, ownership, history and progress."""

from pathlib import Path

import pytest

from coach.db.models import RoleplaySession, User
from coach.errors import InputError, NotFoundError, PermissionDeniedError
from coach.roleplay.service import RoleplayService

SCRIPTS = Path(__file__).resolve().parents[2] / "benchmarks" / "roleplay_scripts"


def lines(rel):
    return [x.strip() for x in (SCRIPTS / rel).read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]


@pytest.fixture
def svc(services):
    return RoleplayService(services)


@pytest.fixture
def uid(services):
    with services.db.session() as s:
        u = User(username="rep1", role="rep")
        s.add(u)
        s.flush()
        return u.id


def play(svc, uid, rel, seed=0, pid="icu-nurse-manager"):
    sid, first = svc.start(pid, uid, seed, renderer="template")
    for line in lines(rel):
        if svc.rep_turn(sid, line, user_id=uid)["ended"]:
            break
    return sid, first, svc.finish(sid, user_id=uid)


def test_start_turn_finish_and_stored_document(svc, uid, services):
    sid, first = svc.start("icu-nurse-manager", uid, 4, renderer="template")
    assert "twenty minutes" in first
    out = svc.rep_turn(sid, "How do the alarms affect your nurses during a shift?", user_id=uid)
    assert set(out) == {"text", "ended", "outcome", "turn"} and "alarms" in out["text"].lower()
    with services.db.session() as s:
        row = s.get(RoleplaySession, sid)
        # the public transcript never carries the hidden state
        assert all(set(t) == {"speaker", "text"} for t in row.turns)
        assert row.state["trace"][-1]["act"] == "reveal_need"
    card = svc.finish(sid, user_id=uid)
    assert card is svc.finish(sid, user_id=uid) or card == svc.finish(sid, user_id=uid)  # idempotent
    doc = svc.result(sid, user_id=uid)
    assert doc["persona"] == "icu-nurse-manager" and doc["outcome"] == "no_decision"
    assert doc["turns"][0]["speaker"] == "buyer" and doc["scorecard"]["total"] == card["total"]
    with pytest.raises(InputError):
        svc.rep_turn(sid, "hello again", user_id=uid)


def test_stored_session_resumes_like_an_uninterrupted_one(svc, uid):
    from coach.roleplay.engine import Simulation, run_script

    script = lines("icu-nurse-manager/good.txt")
    sid, _ = svc.start("icu-nurse-manager", uid, 11, renderer="template")
    texts = [svc.rep_turn(sid, line)["text"] for line in script]
    sim = Simulation(svc.persona("icu-nurse-manager"), seed=11)
    run_script(sim, script)
    assert texts == [t["text"] for t in sim.turns if t["speaker"] == "buyer"][1:]


def test_ownership_and_unknowns(svc, uid):
    sid, _ = svc.start("icu-nurse-manager", uid, 0, renderer="template")
    with pytest.raises(PermissionDeniedError):
        svc.rep_turn(sid, "hi", user_id=uid + 1)
    with pytest.raises(NotFoundError):
        svc.rep_turn("nope", "hi")
    with pytest.raises(NotFoundError) as e:
        svc.start("nobody", uid, 0)
    assert "icu-nurse-manager" in e.value.detail
    with pytest.raises(NotFoundError):
        svc.start("icu-nurse-manager", uid, 0, rubric_id="nope")
    with pytest.raises(InputError):
        svc.start("icu-nurse-manager", uid, 0, renderer="shakespeare")  # type: ignore[arg-type]


def test_history_and_progress(svc, uid):
    play(svc, uid, "poor_en.txt", 0)
    play(svc, uid, "icu-nurse-manager/mediocre.txt", 1)
    play(svc, uid, "icu-nurse-manager/good.txt", 2)
    svc.start("beauty-store-owner", uid, 0, renderer="template")  # still active
    h = svc.history(uid)
    assert [a["status"] for a in h["attempts"]] == ["finished", "finished", "finished", "active"]
    prog = h["progress"]["by_persona"]["icu-nurse-manager"]
    totals = [a["total"] for a in h["attempts"][:3]]
    assert prog["attempts"] == 3 and prog["first"] == totals[0] and prog["last"] == totals[2]
    assert prog["change"] == round(totals[2] - totals[0], 1) > 0 and prog["best"] == max(totals)
    assert prog["criteria"]["Discovery"]["last"] > prog["criteria"]["Discovery"]["first"]
    assert svc.history(uid + 99)["attempts"] == []


def test_auto_renderer_is_template_with_the_bundled_model(svc, services):
    assert svc.renderer("auto").name == "template"
    from coach.llm.fake import FakeChatModel

    services.__dict__["llm"] = FakeChatModel()  # as if an endpoint were configured
    services.settings.llm.provider = "openai"
    assert svc.renderer("auto").name == "llm"
