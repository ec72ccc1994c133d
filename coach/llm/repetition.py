"""Stop a generation that has started to loop.

Small models fall into loops ("- Ask about price.\\n- Ask about price.\\n..." or one
phrase repeated without end). A repetition penalty makes loops rarer but not
impossible, so the local runtime also watches the text it streams and stops once
the tail is a repeat: the same line three times, or the same stretch of 12 to 80
characters three times in a row.
"""

from __future__ import annotations

import re

#: a stretch of this many characters (or more) repeated this many times in a row ends it
_LOOP_RE = re.compile(r"(.{12,80}?)\1{2,}$", re.DOTALL)


class RepetitionGuard:
    """Feed it the streamed text; ``looping`` turns true once the text repeats itself."""

    def __init__(self, window: int = 400) -> None:
        self.window = window
        self.text = ""
        self.looping = False

    def feed(self, piece: str) -> bool:
        """Add ``piece``; True when the generation should stop."""
        self.text += piece
        if self.looping:
            return True
        tail = self.text[-self.window:]
        lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
        if len(lines) >= 3 and lines[-1] == lines[-2] == lines[-3] and "\n" in piece + tail[-1:]:
            self.looping = True
        elif _LOOP_RE.search(tail):
            self.looping = True
        return self.looping

    def trimmed(self) -> str:
        """The text without the repeats (one copy of the looping part is kept)."""
        text = self.text
        m = _LOOP_RE.search(text[-self.window:])
        if m:
            text = text[: len(text) - len(m.group(0)) + len(m.group(1))]
        out: list[str] = []
        for line in text.splitlines():
            if line.strip() and any(line.strip() == o.strip() for o in out):
                continue
            out.append(line)
        return "\n".join(out)
