"""Persona files: the shipped set validates, bad files name the file and the field."""

from pathlib import Path

import pytest
import yaml

from coach.errors import NotFoundError, ValidationFailed
from coach.roleplay.personas import BUYER_ACTS, get_persona, load_personas
from coach.settings import DEFAULT_KNOWLEDGE_DIR


def test_shipped_personas_cover_three_difficulties_and_both_languages():
    personas = load_personas(DEFAULT_KNOWLEDGE_DIR)
    assert len(personas) >= 8
    assert {p.difficulty for p in personas.values()} == {"easy", "medium", "hard"}
    assert {p.language for p in personas.values()} == {"en", "zh"}
    for p in personas.values():
        assert all(p.templates[a] for a in BUYER_ACTS)
        assert p.hidden_needs and p.objection_agenda
        assert p.public_summary().keys().isdisjoint({"hidden_needs", "budget", "objection_agenda"})


def test_unknown_persona_lists_the_available_ids():
    with pytest.raises(NotFoundError) as e:
        get_persona(DEFAULT_KNOWLEDGE_DIR, "no-such-buyer")
    assert "no-such-buyer" in e.value.message and "icu-nurse-manager" in e.value.detail


def _copy(tmp_path: Path, persona_id: str = "icu-nurse-manager") -> tuple[Path, dict]:
    data = yaml.safe_load((DEFAULT_KNOWLEDGE_DIR / "personas" / f"{persona_id}.yaml").read_text(encoding="utf-8"))
    (tmp_path / "personas").mkdir(exist_ok=True)
    return tmp_path / "personas" / f"{persona_id}.yaml", data


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d.pop("budget"), "budget"),
        (lambda d: d["budget"].update(amount=-5), "budget.amount"),
        (lambda d: d["objection_agenda"][0].update(objection="weather"), "objection_agenda.0.objection"),
        (lambda d: d["objection_agenda"][0]["trigger"].update(when="after_turns", turns=None), "objection_agenda.0.trigger"),
        (lambda d: d["templates"].pop("end_call"), "templates"),
        (lambda d: d.update(difficulty="impossible"), "difficulty"),
        (lambda d: d.update(surprise=1), "surprise"),
    ],
)
def test_malformed_persona_names_file_and_field(tmp_path, mutate, field):
    path, data = _copy(tmp_path)
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_personas(tmp_path)
    assert str(path) in e.value.message
    assert field in e.value.message


def test_persona_file_that_is_not_yaml(tmp_path):
    (tmp_path / "personas").mkdir()
    bad = tmp_path / "personas" / "broken.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="broken.yaml"):
        load_personas(tmp_path)
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="mapping"):
        load_personas(tmp_path)
