"""Publishing rights: a Site -> the same Site holding only the article text it may
publish (setting `article_text`).

A news aggregator may show a report's headline, a short excerpt, its keywords and
a link to it; the report itself belongs to its outlet. `restrict_site` replaces
every article to be shown as an excerpt by a copy that holds nothing of its text
but the excerpt, before anything is rendered: no page, feed, search index,
meta description or `digest.json` can then carry more of it, whatever a template
does, because the renderer never sees the rest. Story summaries are made earlier,
from the whole articles, and stay as they are (a few short extracts, each cited).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from digest.models import Article, Block, Site
from digest.urls import http_url

# An excerpt is at most this many words: about the two or three opening sentences
# that aggregators show under a headline.
EXCERPT_WORDS = 60
ELLIPSIS = "…"


def shows_excerpt(article: Article, article_text: str, base_url: str | None) -> bool:
    """Whether the site shows only an excerpt of the article under the setting
    `article_text` ("auto", "excerpt" or "full")."""
    if article_text == "auto":
        return from_another_site(article.meta.url, base_url)
    return article_text == "excerpt"


def from_another_site(url: str | None, base_url: str | None) -> bool:
    """Whether an article's source URL is on another site than the digest's own.

    Without a base URL the digest cannot tell its own address, so any source URL
    counts as another outlet's: the careful reading. Hosts are compared without
    case, port or a leading "www.".
    """
    link = http_url(url) if url else None
    if link is None:
        return False
    if not base_url:
        return True
    return _host(link) != _host(base_url)


def _host(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def excerpt_of(article: Article, max_words: int = EXCERPT_WORDS) -> tuple[str, ...]:
    """An article -> its excerpt: the opening sentences of its lead (the body's
    first sentences when it has no lead) that fit in `max_words` words.

    Always whole sentences, cut between two sentences. A first sentence longer
    than `max_words` on its own (a text without full stops, as pasted or scraped
    text often is) is cut after its last whole word that fits, with an ellipsis:
    the limit holds for every article, so an excerpt never becomes a whole
    paragraph of the report.
    """
    sentences = article.lead or article.sentences
    excerpt: list[str] = []
    total = 0
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        if total + len(words) > max_words:
            if not excerpt:
                excerpt.append(" ".join(words[:max_words]).rstrip(",;:–—- ") + ELLIPSIS)
            break
        excerpt.append(sentence)
        total += len(words)
    return tuple(excerpt)


def excerpted(article: Article) -> Article:
    """An article -> a copy holding only its excerpt as text (one paragraph) and
    none of its analysis terms: everything the renderer could show of it."""
    excerpt = excerpt_of(article)
    return replace(
        article,
        blocks=(Block("p", " ".join(excerpt)),) if excerpt else (),
        sentences=excerpt,
        lead=excerpt,
        terms=(),
        term_counts=(),
        shingles=b"",
    )


def restrict_site(
    site: Site, article_text: str, base_url: str | None
) -> tuple[Site, frozenset[str]]:
    """A Site -> (the Site with excerpt articles cut to their excerpt, their ids)."""
    shown: list[Article] = []
    excerpts: set[str] = set()
    for article in site.articles:
        if shows_excerpt(article, article_text, base_url):
            shown.append(excerpted(article))
            excerpts.add(article.id)
        else:
            shown.append(article)
    if not excerpts:
        return site, frozenset()
    return replace(site, articles=tuple(shown)), frozenset(excerpts)
