"""``salescoach kb ...``: ingest, search, list, show, remove, stats, reindex, add-call."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from coach.cli.common import JSON_HELP, emit_json, keep_ids_whole
from coach.errors import InputError, NotFoundError

kb_app = typer.Typer(help="Knowledge base of won and lost deals.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.add_typer(kb_app, name="kb")


def _services(ctx: typer.Context):
    return ctx.find_root().obj.get()


def _emit_json(data: Any, target: str | None = "-") -> None:
    emit_json(target, data)


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise InputError(f"--map needs field=Column Header, got {pair!r}")
        mapping[field.strip()] = header.strip()
    return mapping


@kb_app.command("ingest")
def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Case files, documents, CRM CSV exports or directories."),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
    column_map: list[str] = typer.Option([], "--map", help="CSV column for a case field, e.g. --map title='Deal Name'."),
) -> None:
    """Ingest files (incremental: unchanged files are skipped, deleted ones removed)."""
    kb = _services(ctx).kb
    mapping = _parse_map(column_map)
    if as_json:
        report = kb.ingest(paths, csv_columns=mapping or None)
    else:
        from rich.progress import Progress

        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("ingesting", total=1.0)
            report = kb.ingest(paths, csv_columns=mapping or None, on_progress=lambda _s, f: bar.update(task, completed=f))
    in_kb = report.added + report.updated + report.unchanged
    if as_json:
        _emit_json(report.to_json(), as_json)
    else:
        out.print(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"removed {report.removed} case(s); {report.chunks} chunk(s) embedded from {report.files} file(s)"
        )
        for path, reason in report.skipped:
            err.print(f"[yellow]skipped[/] {path}: {reason}")
        for path, reason in report.errors:
            err.print(f"[bold red]error[/] {path}: {reason}")
    if in_kb == 0 and (report.errors or report.files == 0):
        if not as_json:
            err.print("[bold red]nothing could be ingested[/]" + (f" ({len(report.errors)} error(s) above)" if report.errors else " (no supported files found)"))
        raise typer.Exit(1)


def _filters(outcome, industry, product, region, min_size, max_size) -> dict[str, Any]:
    return {
        "outcome": outcome, "industry": industry, "product": product, "region": region,
        "min_deal_size": min_size, "max_deal_size": max_size,
    }


_OUTCOME = typer.Option(None, "--outcome", help="won or lost")
_INDUSTRY = typer.Option(None, "--industry")
_PRODUCT = typer.Option(None, "--product")
_REGION = typer.Option(None, "--region")
_MIN = typer.Option(None, "--min-size", help="Minimum deal size.")
_MAX = typer.Option(None, "--max-size", help="Maximum deal size.")


@kb_app.command("search")
def search(
    ctx: typer.Context,
    query: str = typer.Argument(...),
    k: int = typer.Option(5, "--k", "-k", help="Number of cases."),
    outcome: Optional[str] = _OUTCOME,
    industry: Optional[str] = _INDUSTRY,
    product: Optional[str] = _PRODUCT,
    region: Optional[str] = _REGION,
    min_size: Optional[float] = _MIN,
    max_size: Optional[float] = _MAX,
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, vector or bm25"),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
) -> None:
    """Find the cases most like QUERY (one hit per case, best snippet)."""
    hits = _services(ctx).kb.search(query, k=k, mode=mode, **_filters(outcome, industry, product, region, min_size, max_size))
    if as_json:
        _emit_json([
            {"id": h.id, "title": h.title, "outcome": h.outcome, "industry": h.industry, "product": h.product,
             "score": round(h.score, 6), "snippet": h.snippet, "metadata": h.metadata}
            for h in hits
        ])
        return
    if not hits:
        out.print("no matching cases")
        return
    for i, h in enumerate(hits, 1):
        out.print(f"[bold]{i}. {h.id}[/] [{'green' if h.outcome == 'won' else 'red'}]{h.outcome}[/] "
                  f"{h.industry} / {h.product}  score {h.score:.4f}\n   {h.title}\n   [dim]{h.snippet}[/]")


@kb_app.command("list")
def list_cases(
    ctx: typer.Context,
    outcome: Optional[str] = _OUTCOME,
    industry: Optional[str] = _INDUSTRY,
    product: Optional[str] = _PRODUCT,
    region: Optional[str] = _REGION,
    min_size: Optional[float] = _MIN,
    max_size: Optional[float] = _MAX,
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
) -> None:
    """List cases (metadata only), optionally filtered."""
    cases = _services(ctx).kb.list_cases(**_filters(outcome, industry, product, region, min_size, max_size))
    if as_json:
        _emit_json([c.model_dump(exclude={"body"}) for c in cases], as_json)
        return
    table = Table("id", "outcome", "industry", "product", "deal size", "title")
    for c in cases:
        size = f"{c.deal_size:,.0f} {c.currency}".strip() if c.deal_size is not None else ""
        table.add_row(c.id, c.outcome, c.industry, c.product, size, c.title)
    out.print(keep_ids_whole(table, "id"))
    out.print(f"{len(cases)} case(s)")


@kb_app.command("show")
def show(ctx: typer.Context, case_id: str, as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP)) -> None:
    """Print one case in full."""
    case = _services(ctx).kb.get_case(case_id)
    if as_json:
        _emit_json(case.model_dump(), as_json)
    else:
        sys.stdout.write(case.to_markdown())


@kb_app.command("remove")
def remove(ctx: typer.Context, case_ids: list[str] = typer.Argument(...)) -> None:
    """Remove cases by id (re-ingesting their source file brings them back)."""
    kb = _services(ctx).kb
    n = kb.remove(case_ids)
    out.print(f"removed {n} of {len(set(case_ids))} case(s)")
    if n == 0:
        raise NotFoundError("none of these case ids is in the knowledge base: " + ", ".join(case_ids))


@kb_app.command("stats")
def stats(ctx: typer.Context, as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP)) -> None:
    """Counts by outcome and industry, index size on disk."""
    data = _services(ctx).kb.stats()
    if as_json:
        _emit_json(data, as_json)
        return
    out.print(f"{data['cases']} case(s), {data['chunks']} chunk(s); index {data['index_mb']} MB at {data['store']}")
    out.print("by outcome: " + ", ".join(f"{k} {v}" for k, v in data["by_outcome"].items()))
    out.print("by industry: " + ", ".join(f"{k} {v}" for k, v in data["by_industry"].items()))
    out.print(f"embedding model: {data['embedding_model']}")


@kb_app.command("reindex")
def reindex(ctx: typer.Context) -> None:
    """Re-chunk and re-embed every case (after changing the embedding model or chunking)."""
    n = _services(ctx).kb.reindex()
    out.print(f"re-embedded {n} chunk(s)")


@kb_app.command("add-call")
def add_call(
    ctx: typer.Context,
    call_id: str = typer.Argument(...),
    outcome: str = typer.Option(..., "--outcome", help="won or lost"),
    title: Optional[str] = typer.Option(None, "--title"),
    industry: Optional[str] = typer.Option(None, "--industry"),
    product: Optional[str] = typer.Option(None, "--product"),
    replace: bool = typer.Option(False, "--replace", help="Overwrite the case if this call was added before."),
) -> None:
    """Promote an analysed call to a case (transcript with roles + detected moments)."""
    from coach.db.models import Account, Call, Opportunity

    svc = _services(ctx)
    with svc.db.session() as s:
        call = s.get(Call, call_id)
        if call is None:
            raise NotFoundError(f"no call with id {call_id!r}")
        if call.analysis is None:
            raise InputError(f"call {call_id} has no stored analysis (status: {call.status})", detail="analyse it first")
        account = s.get(Account, call.account_id) if call.account_id else None
        opp = (
            s.query(Opportunity).filter(Opportunity.account_id == account.id).order_by(Opportunity.id.desc()).first()
            if account else None
        )
        case = call_to_case(
            call.id, call.analysis.document, outcome=outcome,
            title=title or call.title or f"Call {call.id}",
            industry=industry or (account.industry if account else "") or "unspecified",
            product=product or (opp.product if opp else "") or "unspecified",
            customer=account.name if account else "",
            region=account.region if account else "",
            date=call.created_at.date().isoformat() if call.created_at else "",
        )
        n = svc.kb.add_case(case, replace=replace)
        call.outcome = case.outcome
    out.print(f"added case {case.id} ({n} chunk(s))")


def _ts(seconds: float | None) -> str:
    s = int(seconds or 0)
    return f"{s // 60:02d}:{s % 60:02d}"


def call_to_case(call_id: str, doc: dict[str, Any], *, outcome: str, title: str, industry: str, product: str,
                 customer: str = "", region: str = "", date: str = ""):
    """A :class:`retrieval.cases.Case` from a stored ``CallAnalysis`` document: the
    transcript with speaker roles, then the detected moments and emotion shifts."""
    from retrieval.cases import build_case

    utterances = doc.get("utterances") or []
    if not utterances:
        raise InputError(f"call {call_id} has no transcript to turn into a case")
    lines = ["## Transcript"]
    for u in utterances:
        role = (u.get("role") or "unknown").capitalize()
        lines.append(f"[{_ts(u.get('start'))}] {role} ({u.get('speaker', '?')}, {u.get('id', '')}): {u.get('text', '').strip()}")
    moments = doc.get("moments") or []
    if moments:
        lines += ["", "## Detected moments"]
        lines += [f"- {m.get('type')} at {_ts(m.get('time'))} ({m.get('utterance_id')}): {m.get('text', '').strip()}" for m in moments]
    shifts = doc.get("emotion_shifts") or []
    if shifts:
        lines += ["", "## Emotion shifts"]
        lines += [
            f"- {_ts(x.get('time'))} {x.get('role')} turned {x.get('direction')} ({x.get('from')} -> {x.get('to')}) "
            f"at {x.get('utterance_id')}; cause {x.get('cause_utterance_id') or 'unknown'}"
            for x in shifts
        ]
    objections = sorted({m.get("text", "").strip()[:80] for m in moments if m.get("type") == "objection"} - {""})
    fields = {
        "id": f"call-{call_id}", "title": title, "industry": industry, "product": product, "outcome": outcome,
        "customer": customer, "region": region, "date": date, "objections": objections, "tags": ["call"],
    }
    return build_case(fields, "\n".join(lines), source=f"call:{call_id}")
