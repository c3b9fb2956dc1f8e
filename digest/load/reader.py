"""The reader interface: a format's file suffixes and its `read(path, text) -> Document`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from digest.models import Document

# Each format's file suffixes (lower case, with the dot), kept here rather than
# in the readers so that listing the content folder (`files`) does not import
# them: a build with nothing to analyse never loads lxml, PyYAML or dateutil.
MARKDOWN_SUFFIXES = (".md", ".markdown")
TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = MARKDOWN_SUFFIXES + TEXT_SUFFIXES + HTML_SUFFIXES  # as `document.READERS` lists them


@dataclass(frozen=True)
class Reader:
    """One format of article file (Markdown, text, HTML).

    `read` gets the file's path (relative to the content folder) and its decoded
    text, and returns the `Document`; it raises `Unusable` for a file that can
    never become an article (the reason is the message). `document.READERS` maps
    suffixes to readers.
    """

    name: str
    suffixes: tuple[str, ...]  # lower case, with the dot: ".md"
    read: Callable[[str, str], Document]


class Unusable(Exception):
    """Raised inside a reader for a file that can't become an article."""
