"""The floors' own errors (speech, retrieval, scripts_gen) reach the user exactly like
coach's: same HTTP status and code per kind, caught by the CLI, the API and the UI."""

from __future__ import annotations

import inspect

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import coach.errors as coach_errors
import retrieval.errors as retrieval_errors
import scripts_gen.errors as scripts_errors
import speech.errors as speech_errors
from coach.errors import DOMAIN_ERRORS

FLOORS = [(speech_errors, speech_errors.SpeechError), (retrieval_errors, retrieval_errors.RetrievalError),
          (scripts_errors, scripts_errors.ScriptsGenError)]


@pytest.mark.parametrize("module,base", FLOORS, ids=lambda x: getattr(x, "__name__", ""))
def test_same_named_errors_carry_the_same_status_and_code(module, base) -> None:
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass) if issubclass(c, base) and c is not base]
    assert classes
    for cls in classes:
        ours = getattr(coach_errors, cls.__name__)
        assert (cls.http_status, cls.code) == (ours.http_status, ours.code), cls.__name__
    assert base in DOMAIN_ERRORS


@pytest.mark.parametrize("exc,status,code", [
    (speech_errors.UnsupportedMediaError("a text file named .wav"), 415, "unsupported_media"),
    (speech_errors.DependencyMissingError("faster-whisper", "transcription"), 500, "configuration"),
    (retrieval_errors.NotFoundError("no case 'x'"), 404, "not_found"),
    (scripts_errors.InputError("give an account or notes"), 422, "invalid_input"),
])
def test_api_maps_floor_errors_like_ours(exc, status, code) -> None:
    from ui.api.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    r = TestClient(app).get("/boom")
    assert r.status_code == status and r.json()["error"] == code and exc.message in r.json()["detail"]


def test_cli_turns_a_floor_error_into_exit_2_and_a_message(monkeypatch, capsys) -> None:
    import coach.cli as cli

    def app() -> None:
        raise retrieval_errors.InputError("outcome filter must be 'won' or 'lost'", detail="got 'maybe'")

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "error: outcome filter must be 'won' or 'lost'" in err and "got 'maybe'" in err


def test_web_ui_shows_a_floor_error_as_a_notice() -> None:
    gr = pytest.importorskip("gradio")
    from ui.session import ui_errors

    @ui_errors
    def handler() -> None:
        raise speech_errors.EmptyInputError("the recording has no audio")

    with pytest.raises(gr.Error) as e:
        handler()
    assert "the recording has no audio" in str(e.value.message)
