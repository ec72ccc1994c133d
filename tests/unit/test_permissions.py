"""The one visibility rule (coach.auth.permissions) and the views that apply it."""

from __future__ import annotations

import pytest

from coach.auth import permissions as perm
from coach.auth import users
from coach.calls import views
from coach.errors import NotFoundError, PermissionDeniedError


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch):
    """argon2 at minimal cost: these tests exercise logic, not the hash strength."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("coach.auth.passwords._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def org(services):
    db = services.db
    people = {
        "rep1": users.create_user(db, "rep1", "rep1-demo", role="rep", team="A"),
        "rep2": users.create_user(db, "rep2", "rep2-demo", role="rep", team="A"),
        "rep3": users.create_user(db, "rep3", "rep3-demo", role="rep", team="B"),
        "manager1": users.create_user(db, "manager1", "manager1-demo", role="manager", team="A"),
        "admin": users.create_user(db, "admin", "admin-demo", role="admin"),
    }
    from coach.db.models import Call

    with db.session() as s:
        for name in ("rep1", "rep2", "rep3"):
            s.add(Call(id=f"call-{name}", user_id=people[name].id, title=f"{name} call", status="analyzed"))
        s.add(Call(id="call-nobody", user_id=None, title="cli call", status="analyzed"))
    return people


def test_visible_user_ids(services, org):
    ids = {k: v.id for k, v in org.items()}
    with services.db.session() as s:
        assert perm.visible_user_ids(s, org["rep1"]) == {ids["rep1"]}
        assert perm.visible_user_ids(s, org["manager1"]) == {ids["rep1"], ids["rep2"], ids["manager1"]}
        assert perm.visible_user_ids(s, org["admin"]) is None


def test_manager_without_team_sees_only_self(services):
    m = users.create_user(services.db, "lonely", "password1", role="manager")
    with services.db.session() as s:
        assert perm.visible_user_ids(s, m) == {m.id}


@pytest.mark.parametrize(
    "who, expected",
    [
        ("rep1", {"call-rep1"}),
        ("rep2", {"call-rep2"}),
        ("rep3", {"call-rep3"}),
        ("manager1", {"call-rep1", "call-rep2"}),
        ("admin", {"call-rep1", "call-rep2", "call-rep3", "call-nobody"}),
    ],
)
def test_list_calls_is_filtered(services, org, who, expected):
    assert {c["id"] for c in views.list_calls(services, org[who])} == expected


@pytest.mark.parametrize(
    "who, call, visible",
    [
        ("rep1", "call-rep1", True),
        ("rep1", "call-rep2", False),  # another rep of the same team
        ("rep1", "call-rep3", False),
        ("rep1", "call-nobody", False),
        ("manager1", "call-rep2", True),
        ("manager1", "call-rep3", False),  # other team
        ("manager1", "call-nobody", False),
        ("admin", "call-rep3", True),
        ("admin", "call-nobody", True),
    ],
)
def test_get_call_visibility_answers_not_found(services, org, who, call, visible):
    if visible:
        assert views.get_call(services, org[who], call)["id"] == call
    else:
        with pytest.raises(NotFoundError) as exc:
            views.get_call(services, org[who], call)
        # indistinguishable from an id that does not exist
        with pytest.raises(NotFoundError) as missing:
            views.get_call(services, org[who], "call-missing")
        assert exc.value.message.replace(call, "X") == missing.value.message.replace("call-missing", "X")


def test_require_role(org):
    perm.require_role(org["manager1"], "manager", "admin")
    with pytest.raises(PermissionDeniedError):
        perm.require_role(org["rep1"], "manager", "admin")


def test_can_manage(services, org):
    ids = {k: v.id for k, v in org.items()}
    with services.db.session() as s:
        assert perm.can_manage(s, org["manager1"], ids["rep1"])
        assert not perm.can_manage(s, org["manager1"], ids["rep3"])
        assert not perm.can_manage(s, org["rep1"], ids["rep1"])
        assert perm.can_manage(s, org["admin"], ids["rep3"])


def test_comments_follow_call_visibility(services, org):
    views.add_comment(services, org["manager1"], "call-rep1", "Good discovery at 02:10")
    views.add_comment(services, org["rep1"], "call-rep1", "Thanks")
    assert [c["author"] for c in views.list_comments(services, org["rep1"], "call-rep1")] == ["manager1", "rep1"]
    with pytest.raises(NotFoundError):
        views.add_comment(services, org["rep2"], "call-rep1", "sneaky")
    with pytest.raises(NotFoundError):
        views.list_comments(services, org["manager1"], "call-rep3")


def test_team_overview_roles_and_scope(services, org):
    from coach.team.views import team_overview

    with pytest.raises(PermissionDeniedError):
        team_overview(services, org["rep1"])
    users_seen = {r["user"] for r in team_overview(services, org["manager1"])["reps"]}
    assert users_seen == {"rep1", "rep2"}
    assert {r["user"] for r in team_overview(services, org["admin"])["reps"]} == {"rep1", "rep2", "rep3"}


def test_assignments_scope(services, org, monkeypatch):
    from coach.team import views as team

    monkeypatch.setattr("coach.roleplay.personas.get_persona", lambda *a, **k: object(), raising=False)
    a = team.assign_practice(services, org["manager1"], "rep1", "procurement-head", "price objections")
    assert a["user"] == "rep1" and a["assigned_by"] == "manager1" and a["status"] == "open"
    with pytest.raises(NotFoundError):
        team.assign_practice(services, org["manager1"], "rep3", "procurement-head")
    with pytest.raises(PermissionDeniedError):
        team.assign_practice(services, org["rep1"], "rep2", "procurement-head")
    assert [x["id"] for x in team.list_assignments(services, org["rep1"])] == [a["id"]]
    assert team.list_assignments(services, org["rep2"]) == []
    assert team.complete_assignments(services, org["rep1"].id, "procurement-head") == 1
    assert team.list_assignments(services, org["manager1"])[0]["status"] == "done"
