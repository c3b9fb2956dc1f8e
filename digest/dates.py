"""Dates as written in articles -> ISO 8601 text, day numbers and notes on implausible dates.

The one place dates are read: the loader turns every date it finds into ISO
text (`parse_date`), naive or in UTC ("…Z"); grouping and story order read that
text back (`day_number`, `moment`). The clock is read here only to warn about
dates in the future (`clock`), never to change a page.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

from digest.noise import FileNote, zone_note

# Dates before this year are taken for mistakes (a year 1 from a broken template),
# not for old news; they are kept, with a problem saying so.
EARLIEST_PLAUSIBLE_YEAR = 1900


def parse_date(value: object) -> str | None:
    """A date in any common form -> ISO 8601 text, or None when it can't be read."""
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or len(text) > 64 or not re.search(r"\d", text):
        return None
    # here, not at the top: the no-op rebuild asks this module only for `clock`
    from dateutil import parser as dateparser

    try:
        parsed = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        unread: list[str] = []

        def zone(name: str | None, offset: int | None) -> int | None:
            # Asked of every date, so dateutil never falls back on its own: it
            # warns on stderr about a zone name it cannot read, and takes a name
            # that happens to be the machine's zone for local time, so the same
            # article would give another date on another machine.
            if offset is None and name:
                unread.append(name)
            return offset  # seconds east of UTC ("+0200", "UTC"), or None: no zone

        try:
            parsed = dateparser.parse(text, default=dt.datetime(1900, 1, 1), tzinfos=zone)
        except (ValueError, OverflowError, TypeError):
            return None
        if parsed.year == 1900 and "1900" not in text:
            return None  # a time or fragment with no year is not a publication date
        if unread:
            warnings.warn(FileNote(zone_note(unread[0])), stacklevel=2)
    has_time = bool(re.search(r"\d{1,2}:\d{2}", text))
    return _iso(parsed) if has_time else parsed.date().isoformat()


def _iso(value: dt.datetime) -> str | None:
    if value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            # "9999-12-31T23:59-14:00" is past the last UTC moment Python knows;
            # an offset of a day or more is no time zone. Both crashed the build.
            return None
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat(timespec="seconds")


def clock() -> dt.datetime:
    """The current time, for date warnings only (a test may replace it)."""
    return dt.datetime.now(dt.UTC)


def date_notes(date: str, now: dt.datetime | None = None) -> list[str]:
    """An ISO date -> notes for a date that is implausible: before 1900, or later
    than `now` (the clock) by more than a day (a day of slack for time zones).

    The clock only decides whether the note is given: the date itself is kept as
    written, so it never changes a page, and two builds still give the same bytes.
    """
    return [*early_date_notes(date), *future_date_notes(date, now)]


def early_date_notes(date: str) -> list[str]:
    """The clock-free half of `date_notes`, given while a file is read (and cached)."""
    moment = _moment(date)
    if moment is not None and moment.year < EARLIEST_PLAUSIBLE_YEAR:
        return [f"implausible date {date} (before {EARLIEST_PLAUSIBLE_YEAR}); kept as written"]
    return []


def future_date_notes(date: str, now: dt.datetime | None = None) -> list[str]:
    """The half of `date_notes` that reads the clock: given on every build, after
    the cached analysis, so a note never outlives its truth."""
    moment = _moment(date)
    if moment is None:
        return []
    now = now or clock()
    limit = now.astimezone(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    return [f"date {date} is in the future; kept as written"] if moment > limit else []


def _moment(date: str) -> dt.datetime | None:
    """An ISO date -> a naive datetime (a date alone is its midnight), or None.

    Unlike `moment`, a date without a time of day is read too: a year is
    implausible whether or not the time is given."""
    try:
        return dt.datetime.fromisoformat(date.removesuffix("Z"))
    except ValueError:
        return None


def day_number(date: str | None) -> int | None:
    """An ISO date or date-time -> its day's ordinal (`date.toordinal`), or None."""
    if not date:
        return None
    try:
        return dt.date.fromisoformat(date[:10]).toordinal()
    except ValueError:
        return None


def moment(date: str | None) -> tuple[int | None, float | None]:
    """ISO date -> (day number, hours since the epoch when it has a time of day)."""
    day = day_number(date)
    if day is None or date is None or len(date) < 16 or date[10] != "T":
        return day, None
    try:
        when = dt.datetime.fromisoformat(date.removesuffix("Z"))
    except ValueError:
        return day, None
    return day, (when - dt.datetime(1970, 1, 1)).total_seconds() / 3600
