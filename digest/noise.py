"""Warnings and log records raised while one file is analysed -> Problems naming it.

Libraries speak to the terminal in their own words: dateutil warns about a
time zone it cannot read, a library logs a warning, a Rust extension panics.
Printed as they come, none of them says which file it was about, and they
break the build's report apart. Within `noted`, they are collected instead and
become the file's problems; `FileNote` is how digest's own code (the date
reader, which has no problem list at hand) adds a note the same way.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator

from digest.models import Problem

MAX_NOTES = 5  # per file: a file that makes a library warn a thousand times is one line
MAX_NOTE_CHARS = 200  # a library's message can be long; the gist is at its start
# Warnings about code, not content: raised once per process by whichever file
# first imports a library lazily, they would land on an arbitrary file (another
# one with another number of workers). Kept off the terminal, not reported.
ABOUT_CODE = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


class FileNote(UserWarning):
    """A note on the file being analysed, in words fit for the build report."""


class _Recorder(logging.Handler):
    """Log records of WARNING and above, kept in order."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def noted(path: str) -> Iterator[list[Problem]]:
    """Within: warnings and WARNING log records are kept from the terminal; on the
    way out the list yielded receives them as Problems naming `path` (each text
    once, at most MAX_NOTES and a count of the rest).

    Warnings and the root logger are process-wide: an analysis runs one file at a
    time per process (or per `digest serve` build thread), so what is caught
    here is this file's."""
    found: list[Problem] = []
    recorder = _Recorder()
    root = logging.getLogger()
    # with a handler on the root logger, logging's last resort (a bare line on
    # stderr for a library that configured none) is never used
    root.addHandler(recorder)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # every one, not once per place in the code
            for category in ABOUT_CODE:
                warnings.simplefilter("ignore", category)
            yield found
    finally:
        root.removeHandler(recorder)
    texts = [_warning_text(w.message, w.category) for w in caught]
    texts += [_record_text(r) for r in recorder.records]
    unique = list(dict.fromkeys(texts))
    found.extend(Problem(path, text) for text in unique[:MAX_NOTES])
    if len(unique) > MAX_NOTES:
        found.append(Problem(path, f"and {len(unique) - MAX_NOTES} more warnings"))


def zone_note(name: str) -> str:
    """A time-zone name no one could read -> the note saying so (one wording,
    whichever reader met it, so the report says it once)."""
    return f"time zone {name[:12]!r} not understood; the time is kept as written, without a zone"


# dateutil's words when a reader (ours, or htmldate inside trafilatura) gives it a
# date with a zone name it does not know
_DATEUTIL_ZONE = re.compile(r"tzname (\S+) identified but not understood")


def _warning_text(message: Warning | str, category: type[Warning]) -> str:
    text = _short(str(message))
    if issubclass(category, FileNote):
        return text
    zone = _DATEUTIL_ZONE.match(text)
    if zone is not None:
        return zone_note(zone.group(1))
    return f"a library warned: {category.__name__}: {text}"


def _record_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # a library's bad format string must not cost the file
        message = str(record.msg)
    return f"a library logged ({record.name}): {_short(message)}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_NOTE_CHARS else text[: MAX_NOTE_CHARS - 1] + "…"


def failure_reason(error: BaseException) -> str:
    """An exception no reader foresaw -> the reason given for the file it cost.

    A panic in a Rust extension (pyo3's PanicException derives from
    BaseException, not Exception) is named with its message: it says why."""
    kind = type(error).__name__
    if isinstance(error, Exception):
        return f"could not be read: internal error {kind}; please report it"
    return f"could not be read: a library failed ({kind}: {_short(str(error))}); please report it"
