"""One content file -> its analysed Article (or the Problem that makes it unusable).

The per-article stage, on its own so that what it depends on is plain: this
module and the modules it imports (load, clean, extract, terms, titles, models,
config) are the code whose hash is part of every per-article cache key. A
change anywhere else — grouping, rendering, the CLI — keeps the cache.
"""

from __future__ import annotations

from digest.clean import clean_document
from digest.config import Config
from digest.extract import extract_article
from digest.load import SourceFile, headline_only, load_document
from digest.models import Article, Problem


def analyse_file(source: SourceFile, article_id: str, config: Config) -> Article | Problem:
    """One file -> its analysed Article, or the Problem that makes it unusable.

    A pure function of the file's path, bytes and config: safe to cache and to
    run in a worker process.
    """
    try:
        doc = load_document(source)
        if isinstance(doc, Problem):
            return doc
        doc = clean_document(doc)
        if not doc.blocks and not headline_only(doc):
            return Problem(source.path, "no article text left after removing boilerplate")
        return extract_article(doc, config, article_id)
    except Exception as exc:
        # A file no reader foresaw (a parser library's assertion, say) costs that
        # file, never the build: the rest of the digest still builds.
        return Problem(
            source.path, f"could not be read: internal error {type(exc).__name__}; please report it"
        )
