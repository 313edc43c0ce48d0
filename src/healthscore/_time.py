"""The one date and time rule of healthscore, for exports, signals, history,
the CLI and backtests.

* Accepted: ISO 8601 dates (``2026-06-30``) and date-times
  (``2026-06-30T09:00``, ``2026-06-30 09:00:00.5``, a ``T`` or a space), with
  ``Z`` or a ``+HH:MM`` / ``-HH:MM`` / ``+HHMM`` / ``+HH`` offset. Every
  instant is normalised to UTC; a date-time without an offset is UTC.
  Fractions of a second are dropped (whole seconds are kept).
* Also accepted from Python: ``date``, ``datetime`` (naive = UTC) and NumPy
  ``datetime64``.
* Refused, with an error that names the field, the rule and the value:
  anything else, among them ``20260630``, epoch seconds, ``2026``,
  ``2026-06``, ``now``, ``today``, years of more than four digits.
* Years 1970 to 2199 only (:data:`FIRST_YEAR`, :data:`LAST_YEAR`): a
  customer record dated 0001-01-01 or 9999-12-31 is a placeholder of another
  tool ("no date", "never"), not a moment, and reading it as one would make an
  account centuries inactive or due in eight millennia. No record of a
  software customer predates 1970, where instants and day numbers start (the
  signals count days from it), and 2199 leaves room for any contract end; an
  empty cell is the way to say "no date".
* A date as a cut-off (``as_of``, ``until``) means its whole day, to its last
  second; a due date means the end of its day.
* Elapsed days are whole UTC calendar days: a login on 06-02 is 28 days
  before 06-30, an invoice due on 06-10 and unpaid on 06-30 is 20 days late.

Instants are int64 seconds since 1970-01-01 UTC; days are int64 day numbers
since then.
"""

from __future__ import annotations

import math
import warnings
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import numpy as np

from healthscore.exceptions import InputError

SECONDS_PER_DAY = 86_400

MISSING_TIME = np.iinfo(np.int64).min
"""Instant of an empty cell."""

FIRST_YEAR, LAST_YEAR = 1970, 2199
"""The years a date or instant may fall in."""

RULE = (
    "an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]) "
    f"in the years {FIRST_YEAR} to {LAST_YEAR}"
)
"""The rule, in words, for error messages."""

_DASH, _T, _SPACE = ord("-"), ord("T"), ord(" ")
FIRST_SECOND = int(np.datetime64(f"{FIRST_YEAR}-01-01", "s").astype(np.int64))
LAST_SECOND = int(np.datetime64(f"{LAST_YEAR + 1}-01-01", "s").astype(np.int64)) - 1


def _out_of_range(seconds: Any) -> Any:
    """Which instants fall outside the years of the rule."""
    return (seconds < FIRST_SECOND) | (seconds > LAST_SECOND)


class Instant(NamedTuple):
    """A parsed value: UTC seconds, and whether it was a date (a whole day)."""

    seconds: int
    is_date: bool

    @property
    def day(self) -> int:
        """The UTC day number."""
        return self.seconds // SECONDS_PER_DAY

    @property
    def cutoff(self) -> int:
        """The last second it covers: the end of the day for a date."""
        return end_of_day(self.seconds) if self.is_date else self.seconds


def _iso_shaped(text: Any) -> tuple[Any, Any]:
    """Which texts are shaped like ``YYYY-MM-DD`` with an optional ``T``/space
    and time, and which are dates alone: a look at a few code points, no
    parsing (NumPy's parser checks the digits and the rest)."""
    n = text.size
    width = text.dtype.itemsize // 4
    if width < 10:
        return np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
    points = np.ascontiguousarray(text).view(np.uint32).reshape(n, width)
    ok = (points[:, 4] == _DASH) & (points[:, 7] == _DASH) & (points[:, 9] != 0)
    if width == 10:
        return ok, ok.copy()
    sep = points[:, 10]
    dated = sep == 0
    return ok & (dated | (sep == _T) | (sep == _SPACE)), ok & dated


def _numpy_seconds(text: Any) -> Any:
    """ISO texts -> int64 seconds through NumPy's parser (which applies offsets)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no explicit representation of timezones": offsets applied
        return text.astype("datetime64[s]").astype(np.int64)


def parse_texts(text: Any) -> tuple[Any, Any, Any]:
    """Stripped ISO texts (a str array, ``""`` for empty) -> (int64 UTC
    seconds, mask of values that break the rule, mask of dates).

    Empty texts give :data:`MISSING_TIME` and are not failures. Vectorised:
    one pass of NumPy's parser over the values that look like ISO 8601, and a
    value-by-value pass only when some of those do not parse.

    Examples:
        >>> secs, bad, dated = parse_texts(np.array(["2026-01-01", "2026-01-01T02:00+02:00", "", "20260101"]))
        >>> secs[:2].tolist(), bad.tolist(), dated.tolist()
        ([1767225600, 1767225600], [False, False, False, True], [True, False, False, False])
    """
    text = np.asarray(text)
    shape = text.shape
    flat = text.reshape(-1).astype(str, copy=False)
    out = np.full(flat.shape, MISSING_TIME, dtype=np.int64)
    shaped, dated = _iso_shaped(flat)
    bad = (flat != "") & ~shaped
    every = bool(shaped.all())
    idx = np.flatnonzero(shaped)
    if idx.size:
        try:
            if every:
                out[:] = _numpy_seconds(flat)
            else:
                out[idx] = _numpy_seconds(flat[idx])
        except ValueError:  # find the values that do not parse, one by one
            for i in idx.tolist():
                try:
                    out[i] = _numpy_seconds(flat[i : i + 1])[0]
                except ValueError:
                    bad[i] = True
    bad |= shaped & _out_of_range(out)  # 0001-01-01, 9999-12-31, or a year of more than four digits
    out[bad] = MISSING_TIME
    dated &= ~bad
    return out.reshape(shape), bad.reshape(shape), dated.reshape(shape)


def parse_column(values: Any) -> tuple[Any, Any, Any]:
    """A column of ISO texts or ``datetime64`` values -> (int64 UTC seconds,
    mask of failures, mask of dates); see :func:`parse_texts`. ``NaT`` is an
    empty cell. ``datetime64`` of unit ``D`` (or coarser) are dates."""
    raw = np.asarray(values)
    if raw.dtype.kind == "M":
        missing = np.isnat(raw)
        secs = np.where(missing, MISSING_TIME, raw.astype("datetime64[s]").astype(np.int64))
        bad = ~missing & _out_of_range(secs)
        secs[bad] = MISSING_TIME
        unit = np.datetime_data(raw.dtype)[0]
        dated = np.full(raw.shape, unit in ("Y", "M", "W", "D")) & ~missing & ~bad
        return secs, bad, dated
    return parse_texts(np.char.strip(raw.astype(str)))


def _refuse(value: Any, field: str) -> InputError:
    return InputError(f"{field} must be {RULE}, got {value!r}", column=field, value=value)


def parse_instant(value: Any, field: str) -> Instant:
    """One value (ISO text, ``date``, ``datetime``, ``datetime64``) -> its
    :class:`Instant`.

    Raises:
        InputError: The value breaks the rule (naming ``field`` and the value).

    Examples:
        >>> parse_instant("2026-06-30T11:00:00+02:00", "as_of") == parse_instant(datetime(2026, 6, 30, 9), "as_of")
        True
        >>> parse_instant("2026-06-30", "as_of").cutoff - parse_instant("2026-06-30T23:59:59Z", "as_of").seconds
        0
    """
    if isinstance(value, date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:  # before any offset: datetime(1, 1, 1) cannot take one
            raise _refuse(value, field)
        if isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            instant = Instant(math.floor(moment.timestamp()), is_date=False)
        else:
            instant = Instant((value - date(1970, 1, 1)).days * SECONDS_PER_DAY, is_date=True)
        if not _out_of_range(instant.seconds):
            return instant
        raise _refuse(value, field)
    if isinstance(value, (str, np.str_, np.datetime64)):
        secs, bad, dated = parse_column(np.array([value]))
        if not bad[0] and secs[0] != MISSING_TIME:
            return Instant(int(secs[0]), is_date=bool(dated[0]))
    raise _refuse(value, field)


def cutoff_seconds(value: Any, field: str) -> int:
    """The last UTC second a cut-off covers: a date covers its whole day.

    Examples:
        >>> cutoff_seconds("2026-01-01", "as_of") - cutoff_seconds("2026-01-01T23:59:59", "as_of")
        0
    """
    return parse_instant(value, field).cutoff


def utc_day(value: Any, field: str) -> int:
    """The UTC day number of a date or instant."""
    return parse_instant(value, field).day


def utc_date(value: Any, field: str) -> str:
    """The UTC date of a date or instant, as ``YYYY-MM-DD``.

    Examples:
        >>> utc_date("2026-06-30T01:00:00+02:00", "as_of")
        '2026-06-29'
    """
    return day_text(utc_day(value, field))


def day_numbers(values: Any, field: str) -> Any:
    """Dates or instants (a column) -> int64 UTC day numbers.

    Raises:
        InputError: A value is empty or breaks the rule; the first one is named,
            with its row.
    """
    secs, bad, _ = parse_column(values)
    bad |= secs == MISSING_TIME
    if bad.any():
        row = int(np.flatnonzero(bad.reshape(-1))[0])
        value = np.asarray(values).reshape(-1)[row]
        value = value.item() if isinstance(value, np.generic) else value
        raise InputError(f"{field} must hold {RULE}; row {row} is {value!r}", column=field, row=row, value=value)
    return secs // SECONDS_PER_DAY


def day_text(day: int) -> str:
    """A UTC day number as ``YYYY-MM-DD``."""
    return str(np.datetime64(int(day), "D"))


def end_of_day(seconds: Any) -> Any:
    """The last second of the UTC day of each instant (scalar or array)."""
    return seconds // SECONDS_PER_DAY * SECONDS_PER_DAY + (SECONDS_PER_DAY - 1)


def days_between(later: Any, earlier: Any) -> Any:
    """Whole UTC calendar days from ``earlier`` to ``later`` (seconds, scalars
    or arrays): the difference of their day numbers.

    Examples:
        >>> days_between(parse_instant("2026-06-30", "t").cutoff, parse_instant("2026-06-10", "t").seconds)
        20
    """
    return later // SECONDS_PER_DAY - earlier // SECONDS_PER_DAY


def today() -> str:
    """Today's UTC date as ``YYYY-MM-DD``."""
    return datetime.now(UTC).date().isoformat()
