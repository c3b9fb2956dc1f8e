"""The content folder -> `SourceFile`s, and each file -> a `Document` or a `Problem`.

The loader, one module per concern: `files` reads the content folder safely,
`decode` turns bytes into text, `meta` maps front matter and header fields to
`Meta`, and one reader per format (`markdown`, `text`, `html`) behind the
interface of `reader`, chosen by suffix in `document`. Loading one file never
depends on another. Names other modules use are re-exported here.
"""

from __future__ import annotations

from digest.load.decode import decode
from digest.load.document import SUFFIXES, headline_only, load_document
from digest.load.files import SourceFile, read_content
from digest.load.meta import meta_from_mapping

__all__ = [
    "SUFFIXES",
    "SourceFile",
    "decode",
    "headline_only",
    "load_document",
    "meta_from_mapping",
    "read_content",
]
