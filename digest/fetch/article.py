"""An article page's bytes -> its text as Markdown and its metadata.

The extraction itself is the loader's (`digest.page_body`, trafilatura with
precision favoured), so a fetched page and the same page saved by hand read the
same; this module turns its blocks into the Markdown a content file holds.
"""

from __future__ import annotations

import html as html_entities
import re
from dataclasses import dataclass

from digest.models import Block
from digest.page_body import decode_page, extract_page

# og:site_name read from the head when trafilatura gives no site name
_SITE = re.compile(
    r"<meta\b[^>]*?property\s*=\s*[\"']og:site_name[\"'][^>]*?content\s*=\s*\"([^\"]{1,200})\"",
    re.I,
)
HEAD_CHARS = 64 * 1024


@dataclass(frozen=True)
class Extracted:
    """What was found on a page; any field but the text may be missing."""

    text: str  # Markdown: paragraphs, headings, lists and quotes, blank lines between
    title: str | None = None
    author: str | None = None
    date: str | None = None
    lang: str | None = None
    site: str | None = None


def extract_article(data: bytes | str, url: str | None = None) -> Extracted | None:
    """A page's HTML -> its main text and metadata, or None when no article text is found."""
    html = decode_page(data) if isinstance(data, bytes) else data
    page = extract_page(html, url)
    if not page.blocks:
        return None
    site = page.site_name
    if site is None:
        match = _SITE.search(html[:HEAD_CHARS])
        site = " ".join(html_entities.unescape(match.group(1)).split()) or None if match else None
    return Extracted(
        text=blocks_markdown(page.blocks),
        title=page.title,
        author=page.author,
        date=page.date,
        lang=page.lang,
        site=site,
    )


def blocks_markdown(blocks: tuple[Block, ...]) -> str:
    """Blocks -> Markdown that reads back as the same blocks, their text escaped so
    that nothing in it becomes markup (a link, emphasis, HTML)."""
    parts: list[str] = []
    for block in blocks:
        if block.kind == "h":
            parts.append(f"## {escape(block.text)}")
        elif block.kind == "quote":
            parts.append(f"> {escape(block.text)}")
        elif block.kind in ("ul", "ol"):
            marker = "1." if block.kind == "ol" else "-"
            parts.append("\n".join(f"{marker} {escape(item)}" for item in block.items))
        else:
            parts.append(escape(block.text))
    return "\n\n".join(p for p in parts if p.strip())


# characters Markdown reads as inline markup, and what opens a block at a line's start
_INLINE = re.compile(r"([\\`*_\[\]{}|~^])")
_LINE_START = re.compile(r"^(\s*)([#>+=-])")
_NUMBERED = re.compile(r"^(\s*\d+)([.)])")  # "1." opens a list: its dot is escaped


def escape(text: str) -> str:
    """Plain text -> Markdown that shows it as it is."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _INLINE.sub(r"\\\1", text)
    text = _NUMBERED.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
