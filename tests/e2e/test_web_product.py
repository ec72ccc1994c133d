"""The product as its users meet it, in a real browser (Debian's Chromium via Playwright)
against ``salescoach serve`` on a loopback port with the demo organisation
(``salescoach init --demo``: cases, accounts, six demo calls spread over several weeks).
The model is the OpenAI-compatible stub server of tests/helpers, answering slowly, so
"the script appears before the model finishes" can be seen.

Flows: fixing roles in one click on a call whose roles are unknown, re-analysing with the
default fields, the pre-visit script (grounded plan first, then phrasing with progress,
clickable citations, Markdown and PDF downloads), the manager's team trend with several
points and a flagged call opening in one click, and 390 px phone screenshots. The
screenshots are kept in test-artifacts/e2e-product/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.web import REPO, api, browser, require_browser, serve_app  # noqa: F401 - browser is a fixture

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTIFACTS = REPO / "test-artifacts" / "e2e-product"
#: a call in which nobody can tell who sells
NEUTRAL = "Ann: Good morning.\nBo: Good morning to you.\nAnn: The weather was nice on the way here.\nBo: Yes, it was a lovely drive.\n"
LLM_DELAY_S = 1.0


def _token(base: str, user: str) -> str:
    return api(base, "/api/v1/auth/token", body={"username": user, "password": f"{user}-demo"})["access_token"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    from helpers.openai_stub_server import OpenAIStubServer

    stub = OpenAIStubServer().start()
    stub.state.mode, stub.state.delay_s = "slow", LLM_DELAY_S
    data = tmp_path_factory.mktemp("e2e-product")
    env = {**os.environ, "SALESCOACH_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1",
           "SALESCOACH_LLM_PROVIDER": "openai", "SALESCOACH_LLM_BASE_URL": stub.url, "SALESCOACH_LLM_API_KEY": "x",
           "SALESCOACH_LLM_MODEL": "stub-model"}
    (data / "neutral.txt").write_text(NEUTRAL, encoding="utf-8")
    # the demo organisation as `init --demo` seeds it (users, accounts, the six demo calls over
    # several weeks), with the hospital cases only in the knowledge base (a quicker ingest)
    cases = data / "cases"
    cases.mkdir()
    for case in (REPO / "knowledge" / "cases").glob("med-*.md"):
        (cases / case.name).write_text(case.read_text(encoding="utf-8"), encoding="utf-8")
    seed = (
        "import json, sys\nfrom pathlib import Path\nfrom coach.services import Services\nfrom coach.settings import Settings\n"
        "from coach.demo import seed as demo\nfrom coach.calls.store import CallStore\nfrom coach.auth.users import get_principal\n"
        "s = Services(Settings()); r = demo.DemoReport(); d = s.settings.knowledge_dir / 'demo'\n"
        "demo.init_schema(s); demo.seed_users(s, d, r); demo.seed_accounts(s, d, r)\n"
        "demo.seed_kb(s, Path(sys.argv[2]), r); demo.seed_calls(s, d / 'calls', r)\n"
        "assert not r.errors, r.errors\nst = CallStore(s.db, s.settings)\n"
        "cid = st.create_call(Path(sys.argv[1]), user_id=get_principal(s.db, 'rep1').id, title='Neutral small talk')\n"
        "st.analyze_call(cid, s.analyzer)\nprint(json.dumps({'neutral': cid}))\n"
    )
    out = subprocess.run([sys.executable, "-c", seed, str(data / "neutral.txt"), str(cases)], env=env, cwd=REPO,
                         check=True, timeout=300, capture_output=True, text=True)
    ids = json.loads(out.stdout.strip().splitlines()[-1])
    try:
        with serve_app(env, data) as base:
            yield {"base": base, **ids}
    finally:
        stub.stop()


def _login(browser, base: str, user: str, path: str = "/", width: int = 1400):
    ctx = browser.new_context(viewport={"width": width, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(base + path)
    page.locator("input[type=password]").wait_for(timeout=30000)
    page.locator("input[type=text]").first.fill(user)
    page.locator("input[type=password]").fill(f"{user}-demo")
    page.keyboard.press("Enter")
    page.get_by_text("Logged in as").wait_for(timeout=30000)
    if path != "/" and "?" in path and "?" not in page.url:
        page.goto(base + path)  # the login form lands on "/": follow the link again
        page.get_by_text("Logged in as").wait_for(timeout=30000)
    return page


def _follow(page, link):
    """Click an in-app link; the page it opened (a new tab, or this one)."""
    try:
        with page.context.expect_page(timeout=5000) as new:
            link.click()
        return new.value
    except Exception:  # noqa: BLE001 - it opened in the same tab
        return page


def _tab(page, name: str) -> None:
    """Open a tab, also when a narrow screen moved it into the tab bar's overflow menu."""
    tab = page.get_by_role("tab", name=name).first
    if not tab.is_visible():
        page.locator(".overflow-menu, button.overflow-item-selected, [class*=overflow] button").first.click()
    tab.click()


def test_rep_fixes_roles_in_one_click_and_reanalyses_with_defaults(server, browser):
    base, call_id = server["base"], server["neutral"]
    page = _login(browser, base, "rep1", f"/?call={call_id}")
    panel = page.locator("#sc-roles")
    panel.get_by_text("Which speaker is the rep?").first.wait_for(timeout=30000)
    assert "no score is shown" in panel.inner_text()
    page.get_by_role("tab", name="Metrics").click()
    metrics = page.locator("#sc-metrics")
    expect(metrics).to_contain_text("Roles unknown", timeout=10000)
    page.screenshot(path=str(ARTIFACTS / "01-roles-unknown.png"), full_page=True)

    page.locator("#sc-roles-pick label").filter(has_text="Bo").first.click()  # the one click
    expect(page.locator("#sc-roles-question")).to_contain_text("Bo is taken as the rep", timeout=15000)
    expect(metrics).to_contain_text("Rep talk time", timeout=10000)
    doc = api(base, f"/api/v1/calls/{call_id}", _token(base, "rep1"))["analysis"]
    assert {s["id"]: s["role"] for s in doc["speakers"]} == {"Ann": "customer", "Bo": "rep"}
    page.screenshot(path=str(ARTIFACTS / "02-roles-fixed.png"), full_page=True)

    before = api(base, f"/api/v1/calls/{call_id}", _token(base, "rep1"))["analyzed_at"]
    page.get_by_role("tab", name="Re-analyse").click()
    assert page.locator("#sc-n-speakers input").input_value() == "auto-detect"
    page.locator("#sc-reanalyze-btn").click()
    deadline = time.time() + 60
    while time.time() < deadline:
        call = api(base, f"/api/v1/calls/{call_id}", _token(base, "rep1"))
        if call["status"] == "analyzed" and call["analyzed_at"] != before:
            break
        time.sleep(0.5)
    else:
        pytest.fail("re-analysis with the default fields did not finish")
    page.wait_for_timeout(1500)
    assert page.get_by_text("less than minimum").count() == 0
    assert page.locator(".toast-body.error, .toast-wrap .error").count() == 0
    assert call["analysis"]["speakers"] and {s["role"] for s in call["analysis"]["speakers"]} == {"rep", "customer"}
    page.context.close()


def test_previsit_script_shows_plan_first_with_progress_and_clickable_citations(server, browser):
    base = server["base"]
    page = _login(browser, base, "rep1")
    page.get_by_role("tab", name="Pre-visit").click()
    box = page.locator("#sc-script-account input")
    box.fill("Westlake Riverside Hospital")
    box.press("Enter")
    t0 = time.time()
    page.get_by_role("button", name="Write the script").click()
    status, script = page.locator("#sc-script-status"), page.locator("#sc-script")
    status.get_by_text("Grounded plan ready").wait_for(timeout=30000)
    script.get_by_text("Discovery questions").first.wait_for(timeout=10000)
    t_plan = time.time() - t0
    assert "Done in" not in status.inner_text()  # the model is still phrasing
    page.screenshot(path=str(ARTIFACTS / "03-script-plan.png"), full_page=True)
    status.get_by_text("Done in").wait_for(timeout=180000)
    t_done = time.time() - t0
    assert t_plan < t_done - 2 * LLM_DELAY_S, (t_plan, t_done)
    shown = script.inner_text()
    assert "did not follow the plan" not in shown and "Checked:" not in shown  # internal notes folded away
    assert script.locator("details.sc-checked summary").get_by_text("How this was checked").count() == 1
    page.screenshot(path=str(ARTIFACTS / "04-script-done.png"), full_page=True)

    with page.expect_download(timeout=60000) as dl:
        page.locator("#sc-script-pdf").click()
    pdf = Path(dl.value.path())
    assert dl.value.suggested_filename.endswith(".pdf") and pdf.read_bytes()[:5] == b"%PDF-"

    link = script.locator("a[href*='?case=']").first
    case_id = link.get_attribute("href").split("case=")[1]
    target = _follow(page, link)
    target.locator("#sc-case").get_by_text(case_id).first.wait_for(timeout=30000)
    target.screenshot(path=str(ARTIFACTS / "05-case-from-citation.png"), full_page=True)
    page.context.close()


def test_manager_sees_a_trend_over_weeks_and_opens_a_flagged_call(server, browser):
    base = server["base"]
    ov = api(base, "/api/v1/team/overview", _token(base, "manager1"))
    weeks = {}
    for p in ov["trends"]:
        if p["metric"] == "talk_ratio":
            weeks.setdefault(p["user"], set()).add(p["week"])
    assert weeks and all(len(w) >= 2 for w in weeks.values()), weeks
    assert ov["flagged"] and len(ov["flagged"]) <= ov["flagged_total"]
    sev = [f["severity"] for f in ov["flagged"]]
    assert sev == sorted(sev, reverse=True)

    page = _login(browser, base, "manager1")
    page.get_by_role("tab", name="Team").click()
    page.locator("#sc-team-trend").locator("img, svg, canvas").first.wait_for(timeout=30000)
    flagged = page.locator("#sc-team-flagged")
    flagged.get_by_text("most serious first").wait_for(timeout=30000)
    assert "_" not in flagged.locator("table").inner_text().replace("e.g._", "")  # reasons in words
    page.screenshot(path=str(ARTIFACTS / "06-team.png"), full_page=True)
    first = ov["flagged"][0]
    target = _follow(page, flagged.locator("a[href*='?call=']").first)  # one click
    target.get_by_text("Logged in as").wait_for(timeout=30000)
    target.locator("#sc-call-header").get_by_text(first["call_id"]).wait_for(timeout=30000)
    target.locator("#sc-transcript tbody tr").first.wait_for(timeout=30000)
    target.screenshot(path=str(ARTIFACTS / "07-flagged-call.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("who,path,tab,name", [
    ("rep1", "/?call={neutral}", "Transcript", "08-phone-call"),
    ("rep1", "/", "Pre-visit", "09-phone-previsit"),
    ("manager1", "/", "Team", "10-phone-team"),
])
def test_phone_width_layout(server, browser, who, path, tab, name):
    page = _login(browser, server["base"], who, path.format(**server), width=390)
    _tab(page, tab)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 392, f"page is {overflow} px wide at a 390 px viewport"
    if tab == "Transcript":
        cell = page.locator("#sc-transcript td:nth-child(4)").first
        assert cell.bounding_box()["width"] > 250  # the text column stays readable
    page.context.close()
