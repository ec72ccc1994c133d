"""``salescoach roleplay``: practise against a simulated buyer.

  salescoach roleplay --list [--json]
  salescoach roleplay --persona ID [--seed N] [--rep-lines FILE] [--renderer llm|template]
                      [--rubric ID] [--user NAME] [--voice] [--speak-dir DIR] --json OUT
  salescoach roleplay --from-call CALL_ID ...      (the call's objections become the agenda)
  salescoach roleplay --progress NAME [--json]

Without ``--rep-lines`` the session is interactive (type ``/end`` to finish); with
``--voice`` each interactive turn is a path to a recorded wav (in ``--rep-lines``, lines
that are audio paths), and the buyer's lines are spoken to wav files with espeak-ng.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from coach.cli.common import user_id_for
from coach.errors import DOMAIN_ERRORS, InputError, NotFoundError

log = logging.getLogger(__name__)
console = Console()

_AUDIO = {".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".webm"}
_HELP = (
    "Role-play against a simulated buyer with a hidden agenda and get a scorecard. "
    "--json OUT writes the result (with --list: print the personas as JSON)."
)


def _json_arg(args: list[str]) -> tuple[bool, str | None]:
    """``--json [OUT]`` parsed from the extra arguments (the value is optional)."""
    for i, a in enumerate(args):
        if a.startswith("--json="):
            return True, a.split("=", 1)[1] or "-"
        if a == "--json":
            nxt = args[i + 1] if i + 1 < len(args) else None
            return True, nxt if nxt and not nxt.startswith("--") else "-"
    unknown = [a for a in args if a.startswith("-")]
    if unknown:
        raise InputError(f"unknown option {unknown[0]}", detail="see salescoach roleplay --help")
    return False, None


def _read_rep_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise NotFoundError(f"rep lines file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text", detail=str(exc)) from exc
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        for prefix in ("rep:", "Rep:", "REP:", "销售:", "销售："):
            if line.startswith(prefix):
                line = line[len(prefix) :].strip()
        lines.append(line)
    if not lines:
        raise InputError(f"{path} has no rep lines", detail="one rep turn per line; # starts a comment")
    return lines


def _write(out: str, doc: object) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if out == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


def _print_scorecard(sc: dict) -> None:
    table = Table(title=f"Scorecard ({sc['rubric']}): {sc['total']:.0f}/100")
    table.add_column("criterion")
    table.add_column("score", justify="right")
    table.add_column("checks")
    for c in sc["criteria"]:
        marks = "\n".join(
            f"{'✔' if k['passed'] else ('–' if k['passed'] is None else '✘')} {k['text']}" for k in c["checks"]
        )
        table.add_row(c["name"], "n/a" if c["score"] is None else f"{c['score']:.0f}", marks)
    console.print(table)
    for f in sc["feedback"][:5]:
        console.print(f"[yellow]•[/] {f['check']}: {f['advice']}")
        if f.get("would_pass"):
            console.print(f"  What would have passed: {f['would_pass']}", markup=False)
        if f.get("example"):
            ex = f["example"]
            console.print(f"  [dim]won case {ex['case_id']}: {ex['quote'][:200]}[/]")
    if sc.get("debrief"):
        from rich.markdown import Markdown

        from coach.roleplay.debrief import debrief_md

        console.print(Markdown(debrief_md(sc["debrief"]).replace("&#10004;", "✔").replace("&#10008;", "✘")))


def _speak(svc, persona_lang: str, text: str, speak_dir: Path, turn: int) -> None:
    from coach.roleplay.voice import espeak_available, speak

    if not espeak_available():
        console.print("[dim](espeak-ng not installed: buyer lines are not spoken)[/]")
        return
    path = speak(text, speak_dir / f"buyer-{turn:03d}.wav", persona_lang)
    console.print(f"[dim]buyer audio: {path}[/]")


def _interactive(svc, sid: str, opening: str, persona, voice: bool, speak_dir: Path | None) -> None:
    console.print(f"[bold]{persona.name}[/] ({persona.role}, {persona.company}) — type /end to finish")
    console.print(f"[cyan]{persona.name}:[/] {opening}")
    if speak_dir:
        _speak(svc, persona.language, opening, speak_dir, 0)
    while True:
        prompt = "rep wav path" if voice else "you"
        try:
            line = console.input(f"[green]{prompt}>[/] ")
        except EOFError:
            break
        if line.strip() in ("/end", "/quit", "/q"):
            break
        try:
            out = svc.rep_audio(sid, line.strip()) if voice else svc.rep_turn(sid, line)
        except DOMAIN_ERRORS as exc:
            console.print(f"[red]{exc.message}[/] {exc.detail or ''}")
            continue
        if voice:
            console.print(f"[green]you said:[/] {out['rep_text']}")
        console.print(f"[cyan]{persona.name}:[/] {out['text']}")
        if speak_dir:
            _speak(svc, persona.language, out["text"], speak_dir, out["turn"])
        if out["ended"]:
            console.print(f"[dim](the buyer ended the call: {out['outcome']})[/]")
            break


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""

    @app.command("roleplay", help=_HELP, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def roleplay(
        ctx: typer.Context,
        persona_id: Optional[str] = typer.Option(None, "--persona", help="Persona id (see --list)."),
        list_: bool = typer.Option(False, "--list", help="List the personas."),
        seed: int = typer.Option(0, "--seed", help="Scenario variant: the same variant plays the same way; another gives a different conversation."),
        rep_lines: Optional[Path] = typer.Option(None, "--rep-lines", help="Scripted rep turns, one per line."),
        renderer: str = typer.Option(
            "auto", "--renderer", help="llm (the LLM speaks in the persona's voice), template, or auto (llm with an OpenAI-compatible endpoint, else template)."
        ),
        rubric: Optional[str] = typer.Option(None, "--rubric", help="Rubric id (default: the persona's)."),
        user: Optional[str] = typer.Option(None, "--user", help="Store the attempt under this username."),
        from_call: Optional[str] = typer.Option(None, "--from-call", help="Build the buyer from an analysed call."),
        voice: bool = typer.Option(False, "--voice", help="Interactive turns are wav paths; buyer lines are spoken."),
        speak_dir: Optional[Path] = typer.Option(None, "--speak-dir", help="Where buyer wavs go (with --voice)."),
        progress: Optional[str] = typer.Option(None, "--progress", help="Show a user's attempts and progress."),
    ) -> None:
        from coach.cli.common import services as get_services
        from coach.roleplay.service import RoleplayService

        want_json, out = _json_arg(list(ctx.args))
        services = get_services(ctx)
        svc = RoleplayService(services)

        if list_:
            personas = svc.list_personas()
            if want_json:
                _write(out or "-", personas)
                return
            table = Table(title="Personas")
            for col in ("id", "name", "role", "industry", "difficulty", "language", "rubric"):
                table.add_column(col)
            for p in personas:
                table.add_row(p["id"], p["name"], p["role"], p["industry"], p["difficulty"], p["language"], p["rubric"])
            from coach.cli.common import keep_ids_whole

            console.print(keep_ids_whole(table, "id"))
            return
        if progress:
            doc = svc.history(user_id_for(services, progress))
            if want_json:
                _write(out or "-", doc)
            else:
                console.print_json(json.dumps(doc["progress"], ensure_ascii=False))
            return

        if renderer not in ("auto", "llm", "template"):
            raise InputError(f"unknown renderer {renderer!r}", detail="use auto, llm or template")
        persona = None
        if from_call:
            from coach.roleplay.from_call import persona_from_call

            persona = persona_from_call(services, from_call)
        elif not persona_id:
            raise InputError("give --persona ID (or --from-call CALL_ID, or --list)")
        else:
            persona = svc.persona(persona_id)
        uid = user_id_for(services, user)
        sid, opening = svc.start(persona.id, uid, seed, renderer=renderer, rubric_id=rubric, persona=persona)  # type: ignore[arg-type]
        if voice and speak_dir is None:
            speak_dir = services.settings.data_dir / "roleplay_audio" / sid

        if rep_lines is not None:
            if voice and speak_dir:
                _speak(svc, persona.language, opening, speak_dir, 0)
            for line in _read_rep_lines(rep_lines):
                is_audio = voice and Path(line).suffix.lower() in _AUDIO
                reply = svc.rep_audio(sid, line, user_id=uid) if is_audio else svc.rep_turn(sid, line, user_id=uid)
                if voice and speak_dir:
                    _speak(svc, persona.language, reply["text"], speak_dir, reply["turn"])
                if reply["ended"]:
                    break
        else:
            _interactive(svc, sid, opening, persona, voice, speak_dir if voice else None)
        scorecard = svc.finish(sid, user_id=uid)
        result = svc.result(sid, user_id=uid)
        if want_json:
            _write(out or "-", result)
        if out != "-":
            console.print(f"outcome: [bold]{result['outcome']}[/] ({result['end_reason']})")
            _print_scorecard(scorecard)
