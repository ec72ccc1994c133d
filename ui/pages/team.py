"""Team page (managers, admins): per-rep metrics and trends, role-play scores, flagged
calls, report review with comments, practice assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

REP_COLUMNS = ["user", "calls", "talk_ratio", "questions_rep", "longest_monologue_s", "negative_customer_shifts", "roleplays", "roleplay_score"]
#: what the per-rep columns are called on the page (every figure but the counts is a mean per call)
REP_HEADERS = ["Rep", "Analysed calls", "Rep talk time (mean)", "Questions asked (mean)", "Longest monologue, s (mean)",
               "Customer cooled (mean per call)", "Role-plays", "Role-play score (mean /100)"]
RP_COLUMNS = ["user", "persona_id", "score_total", "outcome", "created_at"]
RP_HEADERS = ["Rep", "Persona", "Score (/100)", "Outcome", "When"]
ASSIGN_COLUMNS = ["id", "user", "persona_id", "note", "assigned_by", "status", "created_at"]
ASSIGN_HEADERS = ["#", "Rep", "Persona", "Note", "Assigned by", "Status", "When"]
TREND_CHOICES = [("Rep talk time", "talk_ratio"), ("Role-play score", "roleplay_score")]


def flagged_md(ov: dict[str, Any]) -> str:
    """The flagged calls, most serious first, capped, each opening in one click."""
    from coach.reports.labels import when
    from ui.document_html import call_link, esc

    items = ov.get("flagged") or []
    if not items:
        return "No call is outside its benchmarks."
    total, calls = ov.get("flagged_total", len(items)), ov.get("calls_total")
    head = (f"**{total} of {calls} analysed calls are outside a benchmark**" if calls else f"**{total} flagged calls**")
    head += f"; the {len(items)} most serious first." if total > len(items) else ", most serious first."
    rows = ["| call | why | rep | when |", "|---|---|---|---|"]
    for f in items:
        why = "; ".join(esc(r) for r in f["reasons"])
        rows.append(f"| {call_link(f['call_id'], f['title'] or f['call_id'])} | {why} | {esc(f['user'] or '-')} | "
                    f"{when(f['created_at'])} |")
    return head + "\n\n" + "\n".join(rows)


def checks_md(ov: dict[str, Any]) -> str:
    """Role-play progress per rep by scorecard check: passed in how many of the role-plays."""
    from ui.document_html import esc

    items = ov.get("roleplay_checks") or []
    if not items:
        return "_No scored role-plays yet._"
    rows = ["| rep | check | passed |", "|---|---|---|"]
    rows += [f"| {esc(c['user'])} | {esc(c['check'])} | {c['passed']} of {c['total']} |" for c in items]
    return "\n".join(rows)


def _rep_rows(reps: list[dict[str, Any]]) -> list[list[Any]]:
    from coach.reports.labels import metric_value

    out = []
    for r in reps:
        out.append([r["user"], r["calls"], metric_value("talk_ratio", r["talk_ratio"]),
                    "-" if r["questions_rep"] is None else r["questions_rep"],
                    "-" if r["longest_monologue_s"] is None else r["longest_monologue_s"],
                    "-" if r["negative_customer_shifts"] is None else r["negative_customer_shifts"],
                    r["roleplays"], "-" if r["roleplay_score"] is None else r["roleplay_score"]])
    return out


def build(services: "Services", demo: "gr.Blocks") -> None:
    from coach.roleplay import views as rv
    from coach.calls import views
    from coach.auth.permissions import require_role
    from coach.team.views import assign_practice, list_assignments, team_overview
    from ui import plots
    from ui.pages.calls import call_view
    from coach.reports.labels import when
    from ui.document_html import esc, report_md, table

    refresh = gr.Button("Refresh", size="sm")
    reps = gr.Dataframe(headers=REP_HEADERS, interactive=False, wrap=True, label="Per rep (means over analysed calls)",
                        elem_id="sc-team-reps")
    with gr.Row():
        metric = gr.Radio(TREND_CHOICES, value="talk_ratio", label="Trend")
    trend = gr.Plot(label="Weekly trend", elem_id="sc-team-trend")
    gr.Markdown("### Flagged calls")
    flagged = gr.Markdown(elem_id="sc-team-flagged")
    gr.Markdown("### Role-play progress by check")
    rp_checks = gr.Markdown(elem_id="sc-team-checks")
    rp_scores = gr.Dataframe(headers=RP_HEADERS, interactive=False, wrap=True, label="Role-play scores")
    gr.Markdown("### Report review")
    with gr.Row():
        review_call = gr.Dropdown(label="Call", choices=[], scale=3, allow_custom_value=True)
        load_review = gr.Button("Show report", scale=1, size="sm")
    review = gr.Markdown()
    review_comments = gr.Markdown()
    review_text = gr.Textbox(label="Comment for the rep", lines=2)
    review_post = gr.Button("Post comment", size="sm")
    gr.Markdown("### Practice assignments")
    with gr.Row():
        a_user = gr.Dropdown(label="Rep", choices=[], allow_custom_value=True)
        a_persona = gr.Dropdown(label="Persona", choices=[], allow_custom_value=True)
        a_note = gr.Textbox(label="Note", max_lines=2)
        a_btn = gr.Button("Assign", variant="primary")
    assignments = gr.Dataframe(headers=ASSIGN_HEADERS, interactive=False, wrap=True)
    overview_state = gr.State(None)

    def _load(p: Any) -> tuple[Any, ...]:
        ov = team_overview(services, p)
        history = rv.history(services, p, limit=200)
        calls = views.list_calls(services, p, status="analyzed", limit=200)
        try:
            personas = [(x["name"], x["id"]) for x in rv.list_personas(services)]
        except Exception:  # noqa: BLE001
            personas = []
        rep_names = [r["user"] for r in ov["reps"]]
        scored = [{**h, "created_at": when(h.get("created_at"))} for h in history if h.get("score_total") is not None]
        return (
            ov,
            _rep_rows(ov["reps"]),
            plots.trend_figure(ov["trends"], "talk_ratio"),
            flagged_md(ov),
            checks_md(ov),
            table(scored, RP_COLUMNS),
            gr.Dropdown(choices=[(f"{c['title']} ({c['user']}, {c['id']})", c["id"]) for c in calls]),
            gr.Dropdown(choices=rep_names),
            gr.Dropdown(choices=personas),
            _assign_rows(p),
        )

    def _assign_rows(p: Any) -> list[list[Any]]:
        return table([{**a, "created_at": when(a.get("created_at"))} for a in list_assignments(services, p)], ASSIGN_COLUMNS)

    outputs = [overview_state, reps, trend, flagged, rp_checks, rp_scores, review_call, a_user, a_persona, assignments]

    @ui_errors
    def on_load(request: gr.Request) -> Any:
        p = principal_of(services, request)
        if p.role not in ("manager", "admin"):
            return (None, *[gr.skip()] * (len(outputs) - 1))
        return _load(p)

    @ui_errors
    def do_refresh(request: gr.Request) -> Any:
        p = principal_of(services, request)
        require_role(p, "manager", "admin")
        return _load(p)

    @ui_errors
    def redraw(m: str, ov: dict | None) -> Any:
        return plots.trend_figure((ov or {}).get("trends") or [], m)

    @ui_errors
    def show_review(call_id: str | None, request: gr.Request) -> Any:
        p = principal_of(services, request)
        require_role(p, "manager", "admin")
        if not call_id:
            raise gr.Error("Choose a call.")
        out = call_view(services, p, call_id, with_audio=False)
        return out[1] + "\n\n" + out[8], out[9]

    @ui_errors
    def post(call_id: str | None, text: str, request: gr.Request) -> Any:
        p = principal_of(services, request)
        if not call_id:
            raise gr.Error("Choose a call.")
        views.add_comment(services, p, call_id, text)
        items = views.list_comments(services, p, call_id)
        return "", "\n".join(f"- **{esc(c['author'])}**: {esc(c['text'])}" for c in items)

    @ui_errors
    def assign(user: str | None, persona: str | None, note: str, request: gr.Request) -> Any:
        p = principal_of(services, request)
        if not user or not persona:
            raise gr.Error("Choose a rep and a persona.")
        assign_practice(services, p, user, persona, note)
        gr.Info(f"Assigned {persona} to {user}.")
        return "", _assign_rows(p)

    demo.load(on_load, None, outputs)
    refresh.click(do_refresh, None, outputs, api_name="team_overview")
    metric.change(redraw, [metric, overview_state], trend)
    load_review.click(show_review, review_call, [review, review_comments])
    review_call.change(show_review, review_call, [review, review_comments])
    review_post.click(post, [review_call, review_text], [review_text, review_comments])
    a_btn.click(assign, [a_user, a_persona, a_note], [a_note, assignments])
    _ = report_md  # rendered through call_view
