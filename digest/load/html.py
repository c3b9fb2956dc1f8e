"""A saved page or HTML fragment (path, text) -> `Document`: head metadata, main-element text."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import lxml.etree
import lxml.html

from digest.load.meta import evidence_from_text, meta_from_mapping
from digest.load.reader import HTML_SUFFIXES, Reader, Unusable
from digest.models import Block, BlockKind, Document, Problem
from digest.page_body import PageBody, extract_page, is_full_page
from digest.titles import strip_site_name
from digest.urls import http_url, majority_domain, site_names

SUFFIXES = HTML_SUFFIXES


_DROP_TAGS = {
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "figure", "figcaption", "iframe", "svg", "math", "button", "select", "textarea", "input",
    "object", "embed", "video", "audio", "canvas", "picture", "img", "head", "title", "meta",
    "link",
}  # fmt: skip
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "body", "html", "br", "hr", "table", "tr", "td",
    "th", "dl", "dt", "dd", "pre", "address", "center",
}  # fmt: skip
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


# libxml2 gives up on a document nested 256 elements deep and returns it empty:
# a saved page with a few hundred unclosed <div> or <font> tags lost all its text
# without a word. Such a page is read again by a tokenizer that ignores nesting.
TOO_DEEP = "HTML nested more than 255 elements deep; read as plain paragraphs"


def too_deep(parser: lxml.html.HTMLParser) -> bool:
    """Whether libxml2 gave up on the document it just parsed for its nesting."""
    return any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def read(path: str, text: str) -> Document:
    """A saved page's or fragment's path and text -> its `Document`."""
    parser = lxml.html.HTMLParser()
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        if not too_deep(parser):
            raise Unusable(f"cannot parse HTML: {exc}") from None
        root = lxml.html.document_fromstring("<html></html>")
    if too_deep(parser):
        # metadata from the head alone, which is shallow; the text from the tokenizer
        head_end = text.lower().find("<body")
        head = text[:head_end] if head_end >= 0 else ""
        fields = _html_meta(lxml.html.document_fromstring(head + "<body></body></html>"))
        blocks, links = flat_html_blocks(text)
        notes = [TOO_DEEP]
    else:
        fields, blocks, links = _load_html(root, text)
        notes = []
    meta, problems = meta_from_mapping(path, fields)
    problems.extend(Problem(path, note) for note in notes)
    if meta.source is None:
        domain = majority_domain(links)
        if domain:
            meta = replace(meta, source=domain, source_evidence="links")
    meta = evidence_from_text(meta, [t for b in blocks for t in b.texts()])
    if meta.title:
        # a page's title names its site ("… | Newsweek", "BBC News - …"); the article's does not
        meta = replace(meta, title=strip_site_name(meta.title, site_names(meta)))
    return Document(path=path, meta=meta, blocks=tuple(blocks), problems=tuple(problems))


def _load_html(
    root: lxml.html.HtmlElement, text: str
) -> tuple[dict[str, Any], list[Block], list[str]]:
    """A parsed page and its text -> (its metadata fields, the article's text as
    blocks, the http(s) links in that text). A whole saved page's body and the
    metadata its head lacks come from trafilatura (`digest.page_body`); a fragment's
    text from its main element, metadata from the head."""
    page = extract_page(text) if is_full_page(text) else None
    blocks, links = html_blocks(_main_element(root))
    if page is not None and page.blocks and (blocks or html_blocks(root)[0]):
        # trafilatura's body, when the page has any text outside its navigation,
        # headers, footers and forms (its fallbacks read a page of nothing else)
        blocks = list(page.blocks)
    return _html_meta(root, page), blocks, links


def _html_meta(root: lxml.html.HtmlElement, page: PageBody | None = None) -> dict[str, Any]:
    """A parsed page (and what trafilatura found in it) -> the metadata fields of
    its head (meta tags, canonical link, <time>, <title>, <html lang>), as front
    matter would name them; the page's own tags win, trafilatura fills the gaps."""
    fields: dict[str, Any] = {}
    tags: list[str] = []
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if not key or not value:
            continue
        target = {
            "og:title": "title",
            "twitter:title": "title",
            "og:site_name": "source",
            "og:url": "url",
            "article:published_time": "date",
            "date": "date",
            "pubdate": "date",
            "dc.date": "date",
            "author": "author",
            "article:author": "author",
            "article:section": "section",
            "keywords": "keywords",
            "news_keywords": "keywords",
        }.get(key)
        if key == "article:tag":
            tags.append(value)
        elif target:
            fields.setdefault(target, value)
    for el in root.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        href = el.get("href")
        # A relative or non-http canonical link must not push out a good og:url.
        if "canonical" in rel and href and (http_url(href) or "url" not in fields):
            fields["url"] = href
    found = page.meta_fields() if page is not None else {}
    if "date" not in fields:
        # A first <time> may be a comment's or a related story's: htmldate's choice
        # (via trafilatura) wins, unless the <time> says the same day more exactly.
        stamp = next((el.get("datetime") for el in root.iter("time") if el.get("datetime")), None)
        day = found.get("date")
        if stamp or day:
            fields["date"] = stamp if stamp and (not day or stamp.startswith(day)) else day
    if "title" not in fields:
        title_el = root.find(".//title")
        if title_el is not None and title_el.text_content().strip():
            fields["title"] = title_el.text_content()
    fields = {**found, **fields}
    lang = root.get("lang")
    if lang:
        fields.setdefault("lang", lang)
    if tags:
        fields["tags"] = tags
    elif isinstance(fields.get("keywords"), str):
        fields["tags"] = fields.pop("keywords")
    fields.pop("keywords", None)
    return fields


def _main_element(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for xpath in ("//article", "//main", "//*[@role='main']"):
        found = root.xpath(xpath)
        if found:
            return max(found, key=lambda el: len(el.text_content()))
    body = root.find("body")
    return body if body is not None else root


def html_blocks(root: lxml.html.HtmlElement) -> tuple[list[Block], list[str]]:
    """An HTML element -> (text blocks in document order, the http(s) links it holds)."""
    blocks: list[Block] = []
    links: list[str] = []
    inline: list[str] = []

    def flush(kind: BlockKind = "p") -> None:
        text = " ".join("".join(inline).split())
        inline.clear()
        if text:
            blocks.append(Block(kind, text))

    def visit(el: Any, depth: int) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag in _DROP_TAGS or not tag:
            return  # comments and processing instructions have no str tag
        if tag == "a":
            href = http_url(el.get("href") or "")
            if href:
                links.append(href)
        if depth > 200:  # deeper nesting is text only, read without recursion
            inline.append(el.text_content())
            return
        if tag in ("ul", "ol"):
            flush()
            items = [" ".join(li.text_content().split()) for li in el.iterchildren("li")]
            items = [i for i in items if i]
            if items:
                blocks.append(Block("ol" if tag == "ol" else "ul", items=tuple(items)))
            for li in el.iter("a"):
                href = http_url(li.get("href") or "")
                if href:
                    links.append(href)
            return
        if tag in _HEADING_TAGS or tag == "blockquote":
            flush()
            before = len(blocks)
            visit_children(el, depth)
            flush("h" if tag in _HEADING_TAGS else "quote")
            if tag == "blockquote":
                # a quote of several paragraphs: mark each as a quote
                for i in range(before, len(blocks)):
                    if blocks[i].kind == "p":
                        blocks[i] = Block("quote", blocks[i].text)
            return
        if tag in _BLOCK_TAGS:
            flush()
            visit_children(el, depth)
            flush()
            return
        visit_children(el, depth)

    def visit_children(el: Any, depth: int) -> None:
        if el.text:
            inline.append(el.text)
        for child in el:
            visit(child, depth + 1)
            if child.tail:
                inline.append(child.tail)

    visit(root, 0)
    flush()
    return blocks, links


# The fallback reader for documents libxml2 refuses. Python's html.parser was the
# first choice, but it takes time quadratic in some inputs ("</</</…", unclosed
# attribute quotes: minutes for 1 MB), so the text is read with one pattern that
# moves forward through it. A comment, declaration or tag left open runs to the
# end of the text, as in a browser.
_FLAT_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<[!?][^>]*(?:>|\Z)"
    r"|<(?P<end>/?)(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>[^>]*)(?:>|\Z)",
    re.S,
)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
# Elements whose text is not markup: skipped to their end tag in one step.
_RAW_TEXT = {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
# Elements whose content is never article text; the void ones (img, meta, …) have
# no content to skip, so they are left out of the count.
_FLAT_SKIP = _DROP_TAGS - _RAW_TEXT - {"img", "meta", "link", "input", "embed"}
_FLAT_BREAK = _BLOCK_TAGS | {"li", "blockquote"}


def flat_html_blocks(text: str) -> tuple[list[Block], list[str]]:
    """HTML of any depth -> (text blocks in document order, the http(s) links), in
    time linear in its length; nesting is ignored, paragraphs and headings kept."""
    blocks: list[Block] = []
    links: list[str] = []
    inline: list[str] = []
    skipping = 0

    def flush(kind: BlockKind = "p") -> None:
        content = " ".join(html.unescape("".join(inline)).split())
        inline.clear()
        if content:
            blocks.append(Block(kind, content))

    pos = 0
    while pos < len(text):
        match = _FLAT_TOKEN.search(text, pos)
        end = match.start() if match else len(text)
        if not skipping:
            inline.append(text[pos:end])
        if match is None:
            break
        pos = match.end()
        tag = (match.group("name") or "").lower()
        if not tag:
            continue  # a comment or declaration
        if match.group("end"):
            if tag in _FLAT_SKIP:
                skipping = max(0, skipping - 1)
            elif tag in _HEADING_TAGS:
                flush("h")
            elif tag in _FLAT_BREAK:
                flush()
        elif tag in _RAW_TEXT:
            close = re.compile(rf"</{tag}\b", re.I).search(text, pos)
            pos = close.start() if close else len(text)
        elif tag in _FLAT_SKIP:
            skipping += 1
        elif tag == "a" and not skipping:
            found = _HREF.search(match.group("attrs"))
            href = (
                http_url(html.unescape(next(g for g in found.groups() if g is not None)))
                if found
                else None
            )
            if href:
                links.append(href)
        elif tag in _FLAT_BREAK or tag in _HEADING_TAGS:
            flush()
    flush()
    return blocks, links


READER = Reader("html", SUFFIXES, read)
