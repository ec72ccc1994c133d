from coach.db.engine import Database
from coach.db.models import Call, User


def test_migrations_create_schema_and_roundtrip(tmp_path):
    db = Database(f"sqlite:///{tmp_path/'x.db'}")
    with db.session() as s:
        u = User(username="rep1", role="rep")
        s.add(u)
        s.flush()
        s.add(Call(user_id=u.id, title="t"))
    with db.session() as s:
        assert s.query(Call).count() == 1


def test_session_rolls_back_on_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path/'x.db'}")
    try:
        with db.session() as s:
            s.add(User(username="a"))
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.session() as s:
        assert s.query(User).count() == 0
