"""Markdown with front matter (path, text) -> `Document`.

Plain paragraphs are read directly, the rest converted by Python-Markdown and
read as HTML; Markdown too costly to convert is read as plain text.
"""

from __future__ import annotations

import re
import threading

import lxml.etree
import lxml.html

from digest.load.html import TOO_DEEP, flat_html_blocks, html_blocks, too_deep
from digest.load.meta import front_matter, meta_from_mapping
from digest.load.reader import MARKDOWN_SUFFIXES, Reader
from digest.load.text import hard_wrapped, text_blocks
from digest.models import Block, Document, Problem

SUFFIXES = MARKDOWN_SUFFIXES


def read(path: str, text: str) -> Document:
    """A Markdown file's path and text -> its `Document`."""
    meta_data, text = front_matter(text)
    meta, problems = meta_from_mapping(path, meta_data)
    costly = markdown_too_costly(text)
    if costly is not None:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        problems.append(Problem(path, f"{costly}; read as plain text"))
        blocks = text_blocks(lines, hard_wrapped=hard_wrapped(lines))
        return Document(path=path, meta=meta, blocks=tuple(blocks), problems=tuple(problems))
    paragraphs = plain_paragraphs(text)
    if paragraphs is not None:  # most articles: what converting them would give
        return Document(path=path, meta=meta, blocks=tuple(paragraphs), problems=tuple(problems))
    html = _markdown_to_html(text)
    parser = lxml.html.HTMLParser()
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div", parser=parser)
    except (AssertionError, lxml.etree.ParserError):
        # a whole saved page pasted as the body (lxml finds no body, or two): its
        # text is still worth reading, without the page's structure
        fragment = None
    if fragment is None:
        blocks, _links = flat_html_blocks(html)
        problems.append(Problem(path, "holds a whole HTML page; read as flat text"))
    elif too_deep(parser):  # "> > > > …" quotes nested hundreds deep
        blocks, _links = flat_html_blocks(html)
        problems.append(Problem(path, TOO_DEEP))
    else:
        blocks, _links = html_blocks(fragment)
    return Document(path=path, meta=meta, blocks=tuple(blocks), problems=tuple(problems))


# What Python-Markdown (with "extra" and "sane_lists") reads as more than the text
# of a paragraph: inline markup, links, footnotes and abbreviations, HTML, tables,
# fences and attribute lists; an entity ("&amp;": any other "&" it escapes, and
# it reads back as "&"); at the start of a line, indented code, a heading, quote,
# definition, rule, setext underline or list item; and trailing spaces (a hard
# line break, or a blank line).
_MARKDOWN_SYNTAX = re.compile(
    r"[\\`*_{}\[\]<>|~^]|&#?\w+;|^(?:[ #>:=+-]|\d+\.)| $",
    re.MULTILINE,
)


def plain_paragraphs(text: str) -> list[Block] | None:
    """Markdown that is nothing but paragraphs of text -> their blocks, exactly as
    converting it to HTML and reading that gives them; None for any other text.

    Converting is the slowest step of loading an article, and most articles are
    plain paragraphs. Unprintable characters (tabs, line and paragraph
    separators, controls that Python-Markdown removes or libxml2 refuses) also
    leave the text to the converter.
    """
    if _MARKDOWN_SYNTAX.search(text) or not text.replace("\n", "").isprintable():
        return None
    paragraphs = [" ".join(words) for chunk in text.split("\n\n") if (words := chunk.split())]
    return [Block("p", p) for p in paragraphs] or None


_MARKDOWN = threading.local()  # a converter per thread: they keep state while converting


def _markdown_to_html(text: str) -> str:
    """Markdown -> HTML, as `markdown.markdown` gives it.

    Building a converter (its extensions, patterns and processors) took as long
    as converting an article, so each thread keeps one and resets it before each
    use, the reuse Python-Markdown provides. A conversion that raised (a
    RecursionError) can leave parser state that reset() does not clear: that
    converter is dropped.
    """
    converter = getattr(_MARKDOWN, "converter", None)
    if converter is None:
        import markdown  # imported here: only Markdown files need it

        converter = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    _MARKDOWN.converter = None
    converted = str(converter.reset().convert(text))
    _MARKDOWN.converter = converter
    return converted


# Python-Markdown takes time quadratic in the length of a paragraph for several
# inputs ("[[[…", "- - -" lines, unclosed "<http://"), looks for the "]" of each
# "[" character by character, and builds a pattern per abbreviation: 100 KB of
# "[[[…" took 15 minutes. Markdown past these limits is read as plain text
# instead (lists and headlines still recognised), with a problem; real articles
# stay far below them. Together they bound the conversion to a few seconds.
MAX_MARKDOWN_CHARS = 256 * 1024
MAX_MARKDOWN_PARAGRAPH = 10_000
# Leading quote marks and indentation of a line: a few hundred of them are a
# nesting no article has, and Python-Markdown recurses once per level.
MAX_MARKDOWN_NESTING = 200
_NESTING = re.compile(r"^[ \t>]+", re.M)
MAX_MARKDOWN_LINK_COST = 20_000_000  # sum over paragraphs of "[" count × length
MAX_MARKDOWN_TAG_COST = 50_000_000  # unclosed "<tag" count × length of the text
MAX_ABBREVIATIONS = 100
_ABBREVIATION = re.compile(r"^\*\[", re.M)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# "<a" with no ">" before the next "<": its raw-HTML reader (html.parser) looks for
# the end of each such tag to the end of the text
_UNCLOSED_TAG = re.compile(r"<[A-Za-z/!?][^<>]*+(?=<|\Z)")


def markdown_too_costly(text: str) -> str | None:
    """Markdown text -> why converting it would take too long, or None."""
    if len(text) > MAX_MARKDOWN_CHARS:
        return f"Markdown body over {MAX_MARKDOWN_CHARS // 1024} KiB"
    if max(map(len, _NESTING.findall(text)), default=0) > MAX_MARKDOWN_NESTING:
        return "Markdown nested too deeply (lists or quotes)"
    paragraphs = _BLANK_LINE.split(text)
    if max(len(p) for p in paragraphs) > MAX_MARKDOWN_PARAGRAPH:
        return f"a Markdown paragraph over {MAX_MARKDOWN_PARAGRAPH:,} characters"
    if len(_ABBREVIATION.findall(text)) > MAX_ABBREVIATIONS:
        return f"over {MAX_ABBREVIATIONS} Markdown abbreviations"
    if sum(p.count("[") * len(p) for p in paragraphs) > MAX_MARKDOWN_LINK_COST:
        return "thousands of '[' in Markdown paragraphs"
    if len(_UNCLOSED_TAG.findall(text)) * len(text) > MAX_MARKDOWN_TAG_COST:
        return "hundreds of unclosed '<' tags in Markdown"
    return None


READER = Reader("markdown", SUFFIXES, read)
