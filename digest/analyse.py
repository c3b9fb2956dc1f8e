"""One content file -> its analysed Article (or the Problem that makes it unusable).

The per-article stage, on its own so that what it depends on is plain: this
module and the modules it imports (load, clean, extract, terms, titles, models,
config) are the code whose hash is part of every per-article cache key. A
change anywhere else — grouping, rendering, the CLI — keeps the cache.
"""

from __future__ import annotations

from dataclasses import replace

from digest.clean import clean_document
from digest.config import Config
from digest.extract import extract_article
from digest.load import SourceFile, headline_only, load_document
from digest.models import Article, Problem
from digest.noise import failure_reason, noted


def analyse_file(source: SourceFile, article_id: str, config: Config) -> Article | Problem:
    """One file -> its analysed Article, or the Problem that makes it unusable.

    A pure function of the file's path, bytes and config: safe to cache and to
    run in a worker process. What libraries warn or log meanwhile becomes the
    article's problems, never lines on the terminal.
    """
    with noted(source.path) as notes:
        result = _analyse(source, article_id, config)
    if notes and isinstance(result, Article):
        result = replace(result, problems=(*result.problems, *notes))
    return result


def _analyse(source: SourceFile, article_id: str, config: Config) -> Article | Problem:
    try:
        doc = load_document(source)
        if isinstance(doc, Problem):
            return doc
        doc = clean_document(doc)
        if not doc.blocks and not headline_only(doc):
            return Problem(source.path, "no article text left after removing boilerplate")
        return extract_article(doc, config, article_id)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        # A file no reader foresaw (a parser library's assertion, a Rust
        # extension's panic) costs that file, never the build: the rest of the
        # digest still builds.
        return Problem(source.path, failure_reason(exc))
