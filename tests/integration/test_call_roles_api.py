"""Roles in one click and one number per figure, through the REST API with the real text
analysis: a call whose roles cannot be told apart has no report and no score until
someone says which speaker is the rep (``POST /calls/{id}/roles``); the answer
recomputes roles, metrics, shifts and flags from the stored transcript (the transcript
itself is untouched); and every surface (API, metrics tab, report, team view, calls
list) shows the same stored value for the same call."""

from __future__ import annotations

import re

from api_support import api, cheap_hashing  # noqa: F401 - fixtures

#: neither speaker's label nor talk says who sells: roles stay unknown
NEUTRAL = (
    "Ann: Good morning.\n"
    "Bo: Good morning to you.\n"
    "Ann: The weather was nice on the way here.\n"
    "Bo: Yes, it was a lovely drive.\n"
)
#: speaker A sells (greets and offers help, discovery questions), B buys; labels say nothing
SWAPPABLE = (
    "[00:00] A: Hello, thanks for calling, what can I help you with today?\n"
    "[00:04] B: Our vans keep breaking down and the repair bills are too high. Our budget is tight this year.\n"
    "[00:12] A: I see. How do you currently schedule maintenance? Tell me about your fleet.\n"
    "[00:20] B: We have forty vans and we currently use a spreadsheet for everything, honestly it is a mess.\n"
    "[00:31] A: Our platform predicts failures before they happen, and we offer a pilot on ten vans with a fixed price per van.\n"
    "[00:45] A: Most customers see fewer breakdowns in the first quarter, and the drivers like the app.\n"
    "[00:55] B: Send me the details and the price, please.\n"
    "[01:00] A: Could we meet next Tuesday to plan the pilot with your operations manager?\n"
    "[01:06] B: Yes, Tuesday works.\n"
)


def _get(api, path: str, who: str = "rep1"):
    r = api.client.get(path, headers=api.h(who))
    return r


def test_unknown_roles_have_no_report_until_the_rep_is_chosen(api):
    call_id = api.analysed_call("rep1", "neutral.txt", NEUTRAL.encode())
    doc = _get(api, f"/api/v1/calls/{call_id}").json()["analysis"]
    assert {s["role"] for s in doc["speakers"]} == {"unknown"}
    refused = _get(api, f"/api/v1/calls/{call_id}/report")
    assert refused.status_code == 422 and "roles are unknown" in refused.text
    assert "/roles" in refused.text  # says what to do, in API terms

    bad = api.client.post(f"/api/v1/calls/{call_id}/roles", headers=api.h("rep1"), json={"rep_speaker": "Zed"})
    assert bad.status_code == 422 and "does not speak" in bad.text
    other = api.client.post(f"/api/v1/calls/{call_id}/roles", headers=api.h("rep2"), json={"rep_speaker": "Bo"})
    assert other.status_code == 404  # another rep's call stays invisible

    r = api.client.post(f"/api/v1/calls/{call_id}/roles", headers=api.h("rep1"), json={"rep_speaker": "Bo"})
    assert r.status_code == 200, r.text
    body = r.json()
    roles = {s["id"]: s["role"] for s in body["analysis"]["speakers"]}
    assert roles == {"Bo": "rep", "Ann": "customer"}
    assert body["roles"]["known"] and body["roles"]["rep"] == "Bo" and body["roles"]["confidence"] == 1.0
    assert all(u["role"] == roles[u["speaker"]] for u in body["analysis"]["utterances"])
    assert [u["text"] for u in body["analysis"]["utterances"]] == [u["text"] for u in doc["utterances"]]
    assert body["analysis"]["metrics"]["talk_ratio"] is not None
    # the call row (list, flags) follows the stored analysis
    listed = {c["id"]: c for c in _get(api, "/api/v1/calls").json()["items"]}
    assert listed[call_id]["talk_ratio"] == body["analysis"]["metrics"]["talk_ratio"]


def test_swapping_the_rep_recomputes_what_depends_on_roles(api):
    from speech.analysis import analyze_conversation
    from speech.types import CallAnalysis

    call_id = api.analysed_call("rep1", "fleet.txt", SWAPPABLE.encode())
    before = _get(api, f"/api/v1/calls/{call_id}").json()["analysis"]
    guessed = {s["id"]: s for s in before["speakers"]}
    assert guessed["A"]["role"] == "rep" and guessed["B"]["role"] == "customer"  # greets, offers help, asks
    assert 0.5 < guessed["A"]["role_confidence"] < 1.0  # a guess, with how sure it is
    assert "offers help" in guessed["A"]["role_evidence"]

    r = api.client.post(f"/api/v1/calls/{call_id}/roles", headers=api.h("rep1"), json={"rep_speaker": "B"})
    after = r.json()["analysis"]
    m0, m1 = before["metrics"], after["metrics"]
    assert abs(m1["talk_ratio"] - (1 - m0["talk_ratio"])) < 0.01
    assert m1["questions_rep"] != m0["questions_rep"]
    # the same figures a full analysis with that rep would give
    utts = CallAnalysis.model_validate(before).utterances
    full = analyze_conversation(utts, language="en", role_hints={"B": "rep:chosen", "A": "customer:not the rep"})
    assert m1 == full.metrics.model_dump()
    assert {(s["utterance_id"], s["direction"], s["role"]) for s in after["emotion_shifts"]} == {
        (s.utterance_id, s.direction, s.role) for s in full.emotion_shifts}


def test_every_surface_shows_the_same_figures(api):
    """The longest monologue, questions and talk time of one call read the same on the
    API, the metrics tab, the report, the team view and the calls list."""
    from coach.auth.users import get_principal
    from coach.calls import views
    from coach.reports.labels import metric_value
    from coach.reports.postcall import generate_report
    from coach.team.views import team_overview
    from ui.document_html import metrics_rows, report_md

    call_id = api.analysed_call("rep2", "fleet.txt", SWAPPABLE.encode())
    m = _get(api, f"/api/v1/calls/{call_id}", "rep2").json()["analysis"]["metrics"]
    doc = _get(api, f"/api/v1/calls/{call_id}", "rep2").json()["analysis"]
    assert m["longest_monologue_s"] > 0

    shown = {row[0]: row[1] for row in metrics_rows(doc)}
    assert shown["Longest rep monologue"] == metric_value("longest_monologue_s", m["longest_monologue_s"])
    assert shown["Questions asked by the rep"] == str(m["questions_rep"])
    assert shown["Rep talk time"] == metric_value("talk_ratio", m["talk_ratio"])

    report = generate_report(api.services, call_id)
    bench = {b["metric"]: b["value"] for b in report["benchmarks"]}
    assert bench["longest_monologue_s"] == m["longest_monologue_s"]
    assert bench["questions_rep"] == m["questions_rep"]
    assert bench["talk_ratio"] == m["talk_ratio"]
    page = report_md(report)
    assert f"| Longest rep monologue | {metric_value('longest_monologue_s', m['longest_monologue_s'])} |" in page
    assert "DESIGN.md" not in page and "salescoach" not in page  # no internal names, no CLI for web users

    manager = get_principal(api.services.db, "manager1")
    team = {r["user"]: r for r in team_overview(api.services, manager)["reps"]}
    assert team["rep2"]["calls"] == 1
    assert team["rep2"]["longest_monologue_s"] == round(m["longest_monologue_s"], 1)
    assert team["rep2"]["questions_rep"] == m["questions_rep"]
    assert team["rep2"]["talk_ratio"] == round(m["talk_ratio"], 3)
    listed = views.list_calls(api.services, get_principal(api.services.db, "rep2"))
    assert [c["talk_ratio"] for c in listed if c["id"] == call_id] == [m["talk_ratio"]]
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", page)  # no microseconds anywhere
