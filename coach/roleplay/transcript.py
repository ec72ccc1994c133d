"""Reading a role-play transcript (a list of turn dicts): quoting a turn and finding the
objection a buyer turn raised. Shared by the scorecard and its "what would have passed"
advice, so neither has to import the other."""

from __future__ import annotations


def quote(turns: list[dict], idx: int, limit: int = 90) -> str:
    t = turns[idx]
    text = " ".join(t["text"].split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'turn {idx} ({t["speaker"]}): "{text}"'


def raised_objection(t: dict) -> str | None:
    """The objection a buyer turn raises for the first time (as its act, or after an answer)."""
    if t["speaker"] != "buyer":
        return None
    if t.get("act") == "raise_objection" and not t.get("repeat"):
        return t.get("objection")
    return t.get("then_objection")
