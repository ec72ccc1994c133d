"""Downloads a manager would share: the call report and the pre-visit script as Markdown
and PDF. The Markdown is the page's own rendering with in-app links turned into plain
ids; the PDF is that Markdown as HTML (markdown-it, which Gradio already ships) printed
by headless Chromium, which setup.sh installs with the Noto CJK fonts so Chinese prints.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from coach.errors import DependencyMissingError

log = logging.getLogger(__name__)

#: the fonts the page and the PDF use; Noto CJK covers Chinese where the first ones do not
FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
              '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')
PDF_CSS = f"""
body {{font-family: {FONT_STACK}; font-size: 11pt; line-height: 1.45; margin: 0; color: #111}}
h1 {{font-size: 18pt; margin: 0 0 6pt}} h2, h3 {{font-size: 13pt; margin: 14pt 0 4pt}}
table {{border-collapse: collapse; width: 100%; font-size: 9.5pt}}
td, th {{border: 1px solid #ccc; padding: 3pt 5pt; text-align: left; vertical-align: top}}
code {{font-size: 9.5pt}} details {{margin-top: 10pt; color: #444}} summary {{font-weight: 600}}
"""
PDF_TIMEOUT_S = 60
_APP_LINK = re.compile(r"\[([^\]\n]+)\]\((/\?[^)\s]*|#[^)\s]*)\)")


def shareable_markdown(md: str, title: str) -> str:
    """The page's Markdown as a file: a title on top, in-app links as their plain text."""
    body = _APP_LINK.sub(lambda m: f"`{m.group(1)}`", md)
    return f"# {title}\n\n{body.strip()}\n"


def markdown_html(md: str, title: str) -> str:
    """A standalone HTML page of ``md`` (raw HTML in it is escaped except the
    "How this was checked" panel, which the renderers write themselves)."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": True}).enable("table")
    body = renderer.render(md)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{PDF_CSS}</style></head><body>{body}</body></html>")


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise DependencyMissingError("PDF export needs Chromium", detail="install the 'chromium' package (setup.sh does)")


def html_to_pdf(page: str, out: Path) -> Path:
    """Print ``page`` to ``out`` with headless Chromium (no network, no header/footer)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sc-pdf-") as tmp:
        src = Path(tmp) / "page.html"
        src.write_text(page, encoding="utf-8")
        cmd = [chromium_path(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DependencyMissingError("Chromium did not finish the PDF in time",
                                         detail=f"over {PDF_TIMEOUT_S} s") from exc
    if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        log.warning("chromium print-to-pdf failed (%s): %s", proc.returncode, proc.stderr[-500:])
        raise DependencyMissingError("Chromium could not print the PDF", detail=proc.stderr.decode(errors="replace")[-300:])
    return out


def export_files(folder: Path, stem: str, md: str, title: str, *, pdf: bool = True) -> dict[str, Any]:
    """``{markdown: path, pdf: path|None, pdf_error: str|None}`` of one document, in a
    fresh unguessable folder under ``folder``."""
    target = folder / uuid.uuid4().hex
    target.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "document"
    text = shareable_markdown(md, title)
    md_path = target / f"{safe}.md"
    md_path.write_text(text, encoding="utf-8")
    out: dict[str, Any] = {"markdown": md_path, "pdf": None, "pdf_error": None}
    if pdf:
        try:
            out["pdf"] = html_to_pdf(markdown_html(text, title), target / f"{safe}.pdf")
        except DependencyMissingError as exc:
            out["pdf_error"] = exc.message
    return out
