"""Team page (managers, admins): per-rep metrics and trends, role-play scores, flagged
calls, report review with comments, practice assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

REP_COLUMNS = ["user", "calls", "talk_ratio", "questions_rep", "longest_monologue_s", "negative_customer_shifts", "roleplays", "roleplay_score"]
FLAG_COLUMNS = ["call_id", "user", "title", "created_at", "reasons"]
RP_COLUMNS = ["user", "persona_id", "score_total", "outcome", "created_at"]
ASSIGN_COLUMNS = ["id", "user", "persona_id", "note", "assigned_by", "status", "created_at"]


def build(services: "Services", demo: "gr.Blocks") -> None:
    from coach.roleplay import views as rv
    from coach.calls import views
    from coach.auth.permissions import require_role
    from coach.team.views import assign_practice, list_assignments, team_overview
    from ui import plots
    from ui.pages.calls import call_view
    from ui.document_html import esc, report_md, table

    refresh = gr.Button("Refresh", size="sm")
    reps = gr.Dataframe(headers=REP_COLUMNS, interactive=False, label="Per rep (means over analysed calls)")
    with gr.Row():
        metric = gr.Radio(["talk_ratio", "roleplay_score"], value="talk_ratio", label="Trend")
    trend = gr.Plot(label="Weekly trend")
    flagged = gr.Dataframe(headers=FLAG_COLUMNS, interactive=False, wrap=True, label="Flagged calls (metric outside its benchmark)")
    rp_scores = gr.Dataframe(headers=RP_COLUMNS, interactive=False, label="Role-play scores")
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
    assignments = gr.Dataframe(headers=ASSIGN_COLUMNS, interactive=False)
    overview_state = gr.State(None)

    def _load(p: Any) -> tuple[Any, ...]:
        ov = team_overview(services, p)
        history = rv.history(services, p, limit=200)
        calls = views.list_calls(services, p, status="analyzed", limit=200)
        try:
            personas = [(x["name"], x["id"]) for x in rv.list_personas(services)]
        except Exception:  # noqa: BLE001
            personas = []
        flagged_rows = [{**f, "reasons": "; ".join(f["reasons"])} for f in ov["flagged"]]
        rep_names = [r["user"] for r in ov["reps"]]
        return (
            ov,
            table(ov["reps"], REP_COLUMNS),
            plots.trend_figure(ov["trends"], "talk_ratio"),
            table(flagged_rows, FLAG_COLUMNS),
            table([h for h in history if h.get("score_total") is not None], RP_COLUMNS),
            gr.Dropdown(choices=[(f"{c['title']} ({c['user']}, {c['id']})", c["id"]) for c in calls]),
            gr.Dropdown(choices=rep_names),
            gr.Dropdown(choices=personas),
            table(list_assignments(services, p), ASSIGN_COLUMNS),
        )

    outputs = [overview_state, reps, trend, flagged, rp_scores, review_call, a_user, a_persona, assignments]

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
        return "", table(list_assignments(services, p), ASSIGN_COLUMNS)

    demo.load(on_load, None, outputs)
    refresh.click(do_refresh, None, outputs, api_name="team_overview")
    metric.change(redraw, [metric, overview_state], trend)
    load_review.click(show_review, review_call, [review, review_comments])
    review_call.change(show_review, review_call, [review, review_comments])
    review_post.click(post, [review_call, review_text], [review_text, review_comments])
    a_btn.click(assign, [a_user, a_persona, a_note], [a_note, assignments])
    _ = report_md  # rendered through call_view
