"""One `SourceFile` -> a `Document` (by the reader of its suffix) or a `Problem`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from digest.load import html, markdown, text
from digest.load.decode import decode
from digest.load.reader import Reader, Unusable
from digest.models import Document, Problem

if TYPE_CHECKING:  # only a type here: files is imported without the readers
    from digest.load.files import SourceFile

# The registry: each reader with the suffixes it handles (no suffix is claimed twice).
READERS: tuple[Reader, ...] = (markdown.READER, text.READER, html.READER)
SUFFIXES = tuple(suffix for reader in READERS for suffix in reader.suffixes)
# A file of any other suffix (only a caller other than `read_content` can pass one)
# is read as plain text, its tags and all.
_OTHER = Reader("plain text", (), text.read_plain)


def reader_for(path: str) -> Reader:
    """A file's path -> the reader registered for its suffix (any case)."""
    lower = path.lower()
    return next((r for r in READERS if lower.endswith(r.suffixes)), _OTHER)


def load_document(source: SourceFile) -> Document | Problem:
    """One file's bytes -> a `Document`, or a `Problem` saying why it can't be used."""
    decoded, notes = decode(source.data)
    if decoded is None:
        return Problem(source.path, notes[0])
    if not decoded.strip():
        return Problem(source.path, "empty file")
    try:
        doc = reader_for(source.path).read(source.path, decoded)
    except Unusable as exc:
        return Problem(source.path, str(exc))
    except RecursionError:
        # PyYAML and Python-Markdown parse nesting recursively: front matter like
        # "title: [[[[…" or a list nested a few hundred deep crashed the whole
        # build instead of failing this one file.
        return Problem(source.path, "nested too deeply to read")
    if not any(t.strip() for b in doc.blocks for t in b.texts()) and not headline_only(doc):
        return Problem(source.path, "no article text found")
    extra = tuple(Problem(source.path, n) for n in notes)
    return replace(doc, problems=extra + doc.problems)


def headline_only(doc: Document) -> bool:
    """A Markdown or text file that declares a title but has no body: a headline
    or link entry, kept as an article of its title alone."""
    return bool(doc.meta.title) and not doc.path.lower().endswith(html.SUFFIXES)
