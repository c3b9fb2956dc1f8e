"""The content folder -> `SourceFile`s, and each file -> a `Document` or a `Problem`.

The loader, one module per concern: `files` reads the content folder safely,
`decode` turns bytes into text, `meta` maps front matter and header fields to
`Meta`, and one reader per format (`markdown`, `text`, `html`) behind the
interface of `reader`, chosen by suffix in `document`. Loading one file never
depends on another. Names other modules use are re-exported here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# `decode` first and eagerly: importing the module `digest.load.decode` sets the
# package's attribute "decode" to that module, and this puts the function back
from digest.load.decode import decode
from digest.load.files import SourceFile, read_content
from digest.load.reader import SUFFIXES

if TYPE_CHECKING:
    from digest.load.document import headline_only, load_document
    from digest.load.meta import meta_from_mapping

# Names of the readers' modules, imported on first use: reading the content
# folder needs only `files`, and a build with nothing to analyse (the no-op
# rebuild) should not pay for lxml, PyYAML and dateutil.
_LAZY = {
    "headline_only": "digest.load.document",
    "load_document": "digest.load.document",
    "meta_from_mapping": "digest.load.meta",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [
    "SUFFIXES",
    "SourceFile",
    "decode",
    "headline_only",
    "load_document",
    "meta_from_mapping",
    "read_content",
]
