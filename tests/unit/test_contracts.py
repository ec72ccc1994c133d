"""The JSON Schemas committed in docs/contracts/ match the pydantic models they are
generated from, so the documented contract cannot drift from the code.

After changing a contract model on purpose, regenerate and commit the schemas:

    .venv/bin/python tests/unit/test_contracts.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "docs" / "contracts"


def _models() -> dict[str, type]:
    from coach.reports.schemas import Report
    from coach.scripts.schemas import Script
    from speech.types import CallAnalysis

    return {"analysis": CallAnalysis, "report": Report, "script": Script}


def schema_text(model: type) -> str:
    return json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", ["analysis", "report", "script"])
def test_committed_schema_matches_the_model(name: str) -> None:
    path = CONTRACTS / f"{name}.schema.json"
    assert path.is_file(), f"{path} is missing: run {Path(__file__).relative_to(REPO)} --write"
    assert path.read_text(encoding="utf-8") == schema_text(_models()[name]), (
        f"{path.name} differs from the model: if the change is intended, regenerate with "
        f"'.venv/bin/python {Path(__file__).relative_to(REPO)} --write' and update docs/contracts/{name}.md")


def test_analysis_schema_names_every_documented_top_level_field() -> None:
    """docs/contracts/analysis.md documents each top-level field of the analysis JSON."""
    doc = (CONTRACTS / "analysis.md").read_text(encoding="utf-8")
    fields = json.loads(schema_text(_models()["analysis"]))["properties"]
    missing = [f for f in fields if f"`{f}`" not in doc]
    assert not missing, f"fields of CallAnalysis not described in docs/contracts/analysis.md: {missing}"


def test_a_real_analysis_document_validates_against_the_committed_schema(tmp_path) -> None:
    """A transcript analysed by the real text pipeline is valid under the committed schema."""
    jsonschema = pytest.importorskip("jsonschema")
    from speech.pipeline import CallAnalyzer
    from speech.settings import SpeechSettings

    call = tmp_path / "call.txt"
    call.write_text("Rep: How is the imaging department doing?\nCustomer: Busy, and the price you quoted is too high.\n"
                    "Rep: What would a good price look like?\nCustomer: Ten percent lower, then we can talk next week.\n",
                    encoding="utf-8")
    doc = CallAnalyzer(SpeechSettings(sentiment_model="vader"), cache_dir=tmp_path).analyze(call).to_json_dict()
    schema = json.loads((CONTRACTS / "analysis.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: python tests/unit/test_contracts.py --write")
    sys.path.insert(0, str(REPO))
    for name, model in _models().items():
        (CONTRACTS / f"{name}.schema.json").write_text(schema_text(model), encoding="utf-8")
        print("wrote", CONTRACTS / f"{name}.schema.json")
