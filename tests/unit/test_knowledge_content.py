"""Checks of the shipped sample knowledge base (knowledge/): cases, playbook, demo CRM data, calls.

The checks are plain functions returning a list of problems, so the tests at the bottom can also
prove that each check actually fails on broken content.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from coach.roleplay.personas import OBJECTION_IDS

ROOT = Path(__file__).resolve().parents[2] / "knowledge"
CASES = ROOT / "cases"
PLAYBOOK = ROOT / "playbook" / "objections.yaml"
DEMO = ROOT / "demo"
CALLS = DEMO / "calls"

INDUSTRIES = {
    "medical-devices",
    "beauty-retail",
    "nev-fleet",
    "food-distribution",
    "b2b-software",
    "industrial-equipment",
}
MAIN_INDUSTRIES = INDUSTRIES - {"industrial-equipment"}
OBJECTIONS = set(OBJECTION_IDS)  # the one objection vocabulary (personas validate against it too)
REQUIRED_KEYS = {
    "id", "title", "industry", "product", "outcome", "deal_size", "currency",
    "region", "customer", "objections", "tags", "date",
}
SECTIONS = [
    "Customer profile",
    "Pains",
    "Objections and how they were handled",
    "Proof points",
    "Decision process",
    "Outcome",
    "Quotes",
]
RESULT_RE = re.compile(r"^- (Result: (Worked|Partly worked|Did not work)|结果：(有效|部分有效|无效))", re.M)
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'.,%-]*")
SPEAKER_LINE = re.compile(r"^([^:\n]{1,40}): (\S.*)$")


def split_case(text: str) -> tuple[dict, str]:
    """Front matter (parsed) and body of a case file; raises ValueError when malformed."""
    if not text.startswith("---\n"):
        raise ValueError("no front matter")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ValueError("front matter not closed")
    meta = yaml.safe_load(text[4:end])
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    return meta, text[end + 5 :]


def is_chinese(body: str) -> bool:
    return len(CJK.findall(body)) >= 200


def check_case(text: str, stem: str) -> list[str]:
    try:
        meta, body = split_case(text)
    except (ValueError, yaml.YAMLError) as exc:
        return [f"{stem}: {exc}"]
    problems: list[str] = []
    missing = REQUIRED_KEYS - meta.keys()
    if missing:
        problems.append(f"missing keys {sorted(missing)}")
    if meta.get("id") != stem or not KEBAB.match(str(meta.get("id"))):
        problems.append(f"id {meta.get('id')!r} must be kebab-case and equal the file stem")
    if meta.get("industry") not in INDUSTRIES:
        problems.append(f"unknown industry {meta.get('industry')!r}")
    if meta.get("outcome") not in {"won", "lost"}:
        problems.append(f"unknown outcome {meta.get('outcome')!r}")
    if not isinstance(meta.get("deal_size"), int) or meta["deal_size"] <= 0:
        problems.append("deal_size must be a positive integer")
    if meta.get("currency") not in {"CNY", "USD", "EUR"}:
        problems.append(f"unknown currency {meta.get('currency')!r}")
    if not isinstance(meta.get("date"), dt.date):
        problems.append("date must be YYYY-MM-DD")
    objections = meta.get("objections")
    if not isinstance(objections, list) or not objections or set(objections) - OBJECTIONS:
        problems.append(f"objections must be a non-empty list of known ids: {objections!r}")
        objections = []
    if not isinstance(meta.get("tags"), list) or not meta.get("tags"):
        problems.append("tags must be a non-empty list")
    if not str(meta.get("customer", "")).startswith(("(fictional)", "(虚构)")):
        problems.append("customer must be marked (fictional) or (虚构)")
    headings = re.findall(r"^## (.+)$", body, re.M)
    if headings != SECTIONS:
        problems.append(f"sections {headings} != {SECTIONS}")
    sections = dict(zip(headings, re.split(r"^## .+$", body, flags=re.M)[1:]))
    handled = sections.get("Objections and how they were handled", "")
    subs = re.findall(r"^### (\S+)\s*$", handled, re.M)
    if sorted(subs) != sorted(objections):
        problems.append(f"objection subsections {subs} != front matter {objections}")
    if len(RESULT_RE.findall(handled)) != len(subs):
        problems.append("every objection needs a '- Result:' / '- 结果：' line")
    proof = [ln for ln in sections.get("Proof points", "").splitlines() if ln.startswith("- ")]
    if len(proof) < 2 or not all(re.search(r"\d", ln) for ln in proof):
        problems.append("proof points need >= 2 bullets, each with a number")
    quotes = [ln for ln in sections.get("Quotes", "").splitlines() if ln.startswith("- ")]
    if not 2 <= len(quotes) <= 3:
        problems.append(f"need 2-3 quotes, found {len(quotes)}")
    if is_chinese(body):
        n = len(CJK.findall(body))
        if not 400 <= n <= 1100:
            problems.append(f"Chinese body has {n} CJK characters (400-1100)")
        if meta.get("currency") != "CNY" or not CJK.search(str(meta.get("title", ""))):
            problems.append("Chinese cases need a Chinese title and CNY")
    else:
        n = len(WORD.findall(body))
        if not 250 <= n <= 450:
            problems.append(f"body has {n} words (250-450)")
    return [f"{stem}: {p}" for p in problems]


def load_cases() -> dict[str, tuple[dict, str]]:
    return {p.stem: split_case(p.read_text(encoding="utf-8")) for p in sorted(CASES.glob("*.md"))}


def handled_result(body: str, objection: str) -> str | None:
    """The Result value ('Worked', 'Did not work', '有效', ...) of one objection subsection."""
    m = re.search(rf"^### {re.escape(objection)}\s*$(.*?)(?=^##|\Z)", body, re.M | re.S)
    r = RESULT_RE.search(m.group(1)) if m else None
    return (r.group(2) or r.group(3)) if r else None


def check_playbook(entries: list, cases: dict[str, tuple[dict, str]]) -> list[str]:
    problems: list[str] = []
    ids = [e.get("id") for e in entries]
    if sorted(ids) != sorted(OBJECTIONS):
        problems.append(f"playbook ids {ids} must be exactly the objection ids")
    for e in entries:
        for key in ("category", "summary", "answer"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                problems.append(f"{e.get('id')}: {key} missing")
        trig = e.get("triggers") or {}
        if not trig.get("en") or not trig.get("zh"):
            problems.append(f"{e.get('id')}: triggers need en and zh")
        if len(e.get("steps") or []) < 3 or not e.get("pitfalls"):
            problems.append(f"{e.get('id')}: needs >= 3 steps and pitfalls")
        examples = e.get("example_cases") or []
        if not examples:
            problems.append(f"{e.get('id')}: no example_cases")
        for cid in examples:
            meta = cases.get(cid, ({}, ""))[0]
            if meta.get("outcome") != "won" or e.get("id") not in meta.get("objections", []):
                problems.append(f"{e.get('id')}: example case {cid} missing, not won, or not listing it")
            elif handled_result(cases[cid][1], e["id"]) not in ("Worked", "有效"):
                problems.append(f"{e.get('id')}: example case {cid} does not show it handled (Result: Worked)")
    return problems


def read_csv(name: str) -> tuple[list[str], list[dict]]:
    with open(DEMO / name, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def check_demo() -> list[str]:
    problems: list[str] = []
    expected = {
        "users.csv": ["username", "display_name", "role", "team"],
        "accounts.csv": ["name", "industry", "region", "size", "owner", "notes"],
        "contacts.csv": ["account", "name", "title", "email", "phone", "notes"],
        "opportunities.csv": ["account", "name", "product", "stage", "amount", "currency",
                              "close_date", "status", "open_objections"],
        "interactions.csv": ["account", "user", "date", "kind", "summary"],
    }
    data = {}
    for name, cols in expected.items():
        header, rows = read_csv(name)
        if header != cols:
            problems.append(f"{name}: columns {header} != {cols}")
        data[name] = rows
    users = {u["username"]: u for u in data["users.csv"]}
    for name, role in (("rep1", "rep"), ("rep2", "rep"), ("manager1", "manager"), ("admin", "admin")):
        if users.get(name, {}).get("role") != role:
            problems.append(f"users.csv: {name} must have role {role}")
    for name in ("rep1", "rep2", "manager1"):
        if users.get(name, {}).get("team") != "A":
            problems.append(f"users.csv: {name} must be in team A")
    accounts = {a["name"]: a for a in data["accounts.csv"]}
    if len(accounts) < 12 or len(accounts) != len(data["accounts.csv"]):
        problems.append("accounts.csv: need >= 12 unique accounts")
    if sum(1 for n in accounts if CJK.search(n)) < 2:
        problems.append("accounts.csv: need >= 2 Chinese-named accounts")
    for a in accounts.values():
        if a["industry"] not in INDUSTRIES or users.get(a["owner"], {}).get("role") != "rep":
            problems.append(f"accounts.csv: bad industry/owner for {a['name']}")
    per_account = Counter(c["account"] for c in data["contacts.csv"])
    for name in accounts:
        if not 2 <= per_account[name] <= 3:
            problems.append(f"contacts.csv: {name} has {per_account[name]} contacts (2-3)")
    for c in data["contacts.csv"]:
        if c["account"] not in accounts or not c["email"].endswith("example.com"):
            problems.append(f"contacts.csv: bad account or email for {c['name']}")
    for o in data["opportunities.csv"]:
        objs = [x for x in o["open_objections"].split(";") if x]
        if o["account"] not in accounts or o["status"] not in {"open", "won", "lost"} or set(objs) - OBJECTIONS:
            problems.append(f"opportunities.csv: bad row {o['name']}")
        try:
            float(o["amount"])
            dt.date.fromisoformat(o["close_date"])
        except ValueError:
            problems.append(f"opportunities.csv: bad amount/date in {o['name']}")
    if not any(o["status"] == "open" and o["open_objections"] for o in data["opportunities.csv"]):
        problems.append("opportunities.csv: need open opportunities with open objections")
    for i in data["interactions.csv"]:
        try:
            year = dt.date.fromisoformat(i["date"]).year
        except ValueError:
            year = 0
        if i["account"] not in accounts or i["user"] not in users or year not in (2025, 2026):
            problems.append(f"interactions.csv: bad row {i['account']} {i['date']}")
    missing = set(accounts) - {i["account"] for i in data["interactions.csv"]}
    if missing:
        problems.append(f"interactions.csv: no interactions for {sorted(missing)}")
    return problems


def check_call(text: str, meta: dict, accounts: set[str], users: set[str], stem: str) -> list[str]:
    problems: list[str] = []
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not 30 <= len(lines) <= 60:
        problems.append(f"{len(lines)} lines (30-60)")
    speakers = []
    for ln in lines:
        m = SPEAKER_LINE.match(ln)
        if not m:
            problems.append(f"not 'Name: text': {ln[:40]!r}")
        else:
            speakers.append(m.group(1))
    if set(meta) != {"account", "rep", "rep_speaker", "outcome", "title"}:
        problems.append(f"meta keys {sorted(meta)}")
    if meta.get("account") not in accounts or meta.get("rep") not in users:
        problems.append("meta account/rep unknown")
    if meta.get("outcome") not in {"won", "lost", "open"}:
        problems.append("meta outcome must be won|lost|open")
    if meta.get("rep_speaker") not in speakers or len(set(speakers)) < 2:
        problems.append("rep_speaker must speak, with at least one other speaker")
    return [f"{stem}: {p}" for p in problems]


# ---------------------------------------------------------------- tests of the shipped content


def test_every_case_file_is_valid():
    problems = [p for path in sorted(CASES.glob("*.md")) for p in check_case(path.read_text(encoding="utf-8"), path.stem)]
    assert problems == []


def test_case_distribution():
    cases = load_cases()
    metas = [m for m, _ in cases.values()]
    assert len(cases) >= 44
    assert len({m["id"] for m in metas}) == len(metas)
    per_industry = Counter(m["industry"] for m in metas)
    assert set(per_industry) == INDUSTRIES
    assert all(per_industry[i] >= 7 for i in MAIN_INDUSTRIES), per_industry
    won_share = sum(m["outcome"] == "won" for m in metas) / len(metas)
    assert 0.55 <= won_share <= 0.70, won_share
    chinese = [cid for cid, (_, body) in cases.items() if is_chinese(body)]
    assert len(chinese) >= 8
    assert len({m["region"] for m in metas}) >= 8
    # each industry has won and lost examples, so filters by outcome return something everywhere
    for ind in INDUSTRIES:
        assert {m["outcome"] for m in metas if m["industry"] == ind} == {"won", "lost"}, ind
    # every objection id has at least one won case handling it
    won_objections = {o for m in metas if m["outcome"] == "won" for o in m["objections"]}
    assert won_objections == OBJECTIONS


def test_playbook_is_consistent_with_cases():
    entries = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    assert isinstance(entries, list) and len(entries) >= 13
    assert check_playbook(entries, load_cases()) == []


def test_demo_crm_data():
    assert check_demo() == []


def test_demo_calls():
    accounts = {a["name"] for a in read_csv("accounts.csv")[1]}
    users = {u["username"] for u in read_csv("users.csv")[1]}
    calls = sorted(CALLS.glob("*.txt"))
    assert len(calls) >= 6
    problems, outcomes, chinese = [], set(), 0
    for path in calls:
        meta_path = path.with_suffix(".meta.yaml")
        assert meta_path.exists(), meta_path
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        text = path.read_text(encoding="utf-8")
        problems += check_call(text, meta, accounts, users, path.stem)
        outcomes.add(meta.get("outcome"))
        chinese += bool(CJK.search(text))
    assert problems == []
    assert outcomes == {"won", "lost", "open"}
    assert chinese >= 1


# ---------------------------------------------------------------- the checks catch broken content


@pytest.fixture(scope="module")
def good_case() -> tuple[str, str]:
    path = CASES / "med-eastbank-portascan-2025.md"
    return path.read_text(encoding="utf-8"), path.stem


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("outcome: won", "outcome: maybe", "unknown outcome"),
        ("id: med-eastbank-portascan-2025", "id: other-id", "file stem"),
        ("industry: medical-devices", "industry: toys", "unknown industry"),
        ("objections: [price, clinical-evidence, procurement-process]", "objections: [price, haggling]", "objections must"),
        ("### clinical-evidence", "### evidence", "objection subsections"),
        ("## Quotes", "## Sayings", "sections"),
        ("- Result: Worked. On a like", "- Outcome: On a like", "Result"),
        ("customer: (fictional) ", "customer: ", "fictional"),
        ("date: 2025-06-12", "date: soon", "date must"),
    ],
)
def test_check_case_rejects_broken_files(good_case, old, new, expected):
    text, stem = good_case
    assert check_case(text, stem) == []
    assert old in text
    problems = check_case(text.replace(old, new, 1), stem)
    assert any(expected in p for p in problems), problems


def test_check_case_rejects_missing_front_matter_and_short_body(good_case):
    text, stem = good_case
    assert check_case("no front matter here", stem)
    meta, _ = split_case(text)
    short = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + "\n".join(f"## {s}\n" for s in SECTIONS)
    assert any("words" in p for p in check_case(short, stem))


def test_check_playbook_rejects_bad_examples():
    cases = load_cases()
    entries = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    lost_id = next(cid for cid, (m, _) in cases.items() if m["outcome"] == "lost" and "price" in m["objections"])
    broken = [dict(e) for e in entries]
    broken[0] = {**broken[0], "example_cases": [lost_id, "no-such-case"]}
    problems = check_playbook(broken, cases)
    assert len(problems) == 2 and all("example case" in p for p in problems)
    assert any("exactly the objection ids" in p for p in check_playbook(broken[1:], cases))


def test_check_call_rejects_bad_lines():
    meta = {"account": "A", "rep": "rep1", "rep_speaker": "Alex", "outcome": "open", "title": "t"}
    lines = [f"{'Alex' if i % 2 else 'Dr. Chen'}: line {i}" for i in range(30)]
    assert check_call("\n".join(lines), meta, {"A"}, {"rep1"}, "x") == []
    lines[5] = "no speaker on this line"
    assert check_call("\n".join(lines), meta, {"A"}, {"rep1"}, "x")
    assert check_call("\n".join(lines[:10]), meta, {"A"}, {"rep1"}, "x")
