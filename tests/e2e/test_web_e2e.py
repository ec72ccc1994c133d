"""End to end in a real browser: `salescoach serve` on a free loopback port, Debian's
Chromium driven by Playwright. rep1 logs in, uploads a real 30 s two-speaker clip, waits
for the analysis and sees the transcript with its emotion-shift markers, the timeline and
the report with its evidence; a manager sees the Team tab, a rep does not. Screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from helpers.web import REPO, api, browser, require_browser, serve_app  # noqa: F401 - browser is a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTIFACTS = REPO / "test-artifacts" / "e2e"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    data = tmp_path_factory.mktemp("e2e-data")
    env = {**os.environ, "SALESCOACH_DATA_DIR": str(data), "SALESCOACH_LLM_PROVIDER": "fake", "HF_HUB_OFFLINE": "1"}
    seed = (
        "from coach.services import Services\nfrom coach.settings import Settings\nfrom coach.demo.seed import REQUIRED_USERS, demo_password\n"
        "from coach.auth.users import create_user\ns = Services(Settings())\n"
        "for u, name, role, team in REQUIRED_USERS:\n"
        "    create_user(s.db, u, demo_password(u), role=role, team=team or None, display_name=name)\n"
    )
    subprocess.run([sys.executable, "-c", seed], env=env, cwd=REPO, check=True, timeout=120)
    with serve_app(env, data) as base:
        yield base


def _login(browser, base: str, user: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base + "/")
    page.locator("input[type=password]").wait_for(timeout=30000)
    page.locator("input[type=text]").first.fill(user)
    page.locator("input[type=password]").fill(f"{user}-demo")
    page.keyboard.press("Enter")
    page.get_by_text("Logged in as").wait_for(timeout=30000)
    return page


def test_wrong_password_is_refused(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.locator("input[type=password]").wait_for(timeout=30000)
    page.locator("input[type=text]").first.fill("rep1")
    page.locator("input[type=password]").fill("not-the-password")
    page.keyboard.press("Enter")
    page.get_by_text("Incorrect Credentials", exact=False).wait_for(timeout=15000)
    assert page.get_by_text("Logged in as").count() == 0
    page.close()


def test_rep_uploads_real_clip_and_sees_transcript_and_shifts(server, browser, shared_data):
    clip = shared_data / "audio" / "diarization" / "sample.wav"
    page = _login(browser, server, "rep1")
    assert page.get_by_role("tab", name="Team").count() == 0  # reps have no team view
    page.get_by_role("tab", name="Calls").click()
    page.screenshot(path=str(ARTIFACTS / "01-calls.png"), full_page=True)
    page.locator("#sc-upload input[type=file]").set_input_files(str(clip))
    page.get_by_text("sample.wav").first.wait_for(timeout=30000)
    t0 = time.time()
    page.locator("#sc-upload-btn").click()
    status = page.locator("#sc-upload-status")
    status.get_by_text("Analysed").wait_for(timeout=240000)
    elapsed = time.time() - t0
    page.screenshot(path=str(ARTIFACTS / "02-analysed.png"), full_page=True)

    text = status.inner_text()
    call_id = text.split("call")[-1].strip(" `.\n")
    token = api(server, "/api/v1/auth/token", body={"username": "rep1", "password": "rep1-demo"})["access_token"]
    doc = api(server, f"/api/v1/calls/{call_id}", token)["analysis"]
    assert doc and doc["utterances"]

    transcript = page.locator("#sc-transcript")
    rows = transcript.locator("tbody tr")
    assert rows.count() == len(doc["utterances"])
    first = doc["utterances"][0]
    assert first["text"].strip()[:20] in transcript.inner_text()
    markers = transcript.locator(".shift-marker")
    from speech.shift_summary import key_shifts

    shown = key_shifts(doc["emotion_shifts"])
    # the page marks exactly the customer's strongest shifts (this 30 s clip may have none)
    assert markers.count() == len(shown)
    if shown:
        assert transcript.get_by_text("strongest").count() >= 1
    page.get_by_role("tab", name="Emotion timeline").click()
    page.locator("#sc-timeline img, #sc-timeline svg, #sc-timeline canvas").first.wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "03-timeline.png"), full_page=True)
    if not any(s["role"] == "rep" for s in doc["speakers"]):
        # nobody can tell who sells on this clip: no score until the user says who the rep is (one click)
        page.locator("#sc-roles").get_by_text("Which speaker is the rep?").first.wait_for(timeout=30000)
        page.locator("#sc-roles-pick label").first.click()
        page.locator("#sc-roles-question").get_by_text("is taken as the rep").wait_for(state="attached", timeout=30000)
    page.get_by_role("tab", name="Report").click()
    page.get_by_role("button", name="Write report").click()
    page.locator("#sc-report").get_by_text("Summary").first.wait_for(timeout=180000)
    shown = page.locator("#sc-report").inner_text()
    report = api(server, f"/api/v1/calls/{call_id}/report", token)
    assert report["status"] == "ready"
    items = (report["report"].get("strengths") or []) + (report["report"].get("improvements") or [])
    for item in items:
        assert item["text"][:30] in shown
    if any(i.get("evidence") for i in items):
        assert "evidence:" in shown
    page.screenshot(path=str(ARTIFACTS / "04-report.png"), full_page=True)
    (ARTIFACTS / "timing.json").write_text(json.dumps({"upload_to_analysis_s": round(elapsed, 2)}))
    page.close()


def test_rep_plays_a_roleplay_and_gets_a_scorecard(server, browser):
    page = _login(browser, server, "rep1")
    page.get_by_role("tab", name="Role-play").click()
    page.get_by_role("button", name="Start").click()
    chat = page.locator("#sc-roleplay-chat")
    chat.locator(".message").first.wait_for(timeout=60000)
    box = page.get_by_placeholder("What do you say?")
    box.fill("Thanks for your time. What is your biggest challenge this quarter?")
    page.keyboard.press("Enter")
    chat.get_by_text("What is your biggest challenge").wait_for(timeout=60000)
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Finish and score").click()
    page.locator("#sc-scorecard").get_by_text("Score:").wait_for(timeout=60000)
    assert "evidence:" in page.locator("#sc-scorecard").inner_text()
    # the new-hire flow: a debrief of the hidden agenda, and checks that did not apply say so
    page.locator("#sc-debrief").get_by_text("What the buyer was hiding").wait_for(timeout=30000)
    assert "Needs uncovered" in page.locator("#sc-debrief").inner_text()
    assert "not applicable" in page.locator("#sc-scorecard").inner_text()
    assert page.get_by_label("Scenario variant").count() == 1
    page.screenshot(path=str(ARTIFACTS / "05-roleplay.png"), full_page=True)
    page.close()


def test_manager_sees_team_tab(server, browser):
    page = _login(browser, server, "manager1")
    page.get_by_role("tab", name="Team").click()
    page.get_by_text("Per rep (means over analysed calls)").wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "06-team.png"), full_page=True)
    page.close()
