"""Words and formats per language: one catalogue per language, in
``healthscore/data/i18n/<lang>.toml``; nothing is translated in a template.

A catalogue has these tables:

* ``[format]``: how dates, times and numbers are written (``date``, ``time``,
  ``months``, ``group``, ``decimal``);
* ``[bands]``, ``[alerts]``: the default band and alert level names;
* ``[phrases]``: the default texts of the package -- playbook steps, response
  texts, band descriptions -- keyed by their English text;
* ``[labels]``: the presets' dimension and metric names;
* ``[ui]`` and any other table: the words of the displays, by key.

Anything a user wrote in a model file that the catalogue does not know -- a
band named ``"at-risk-2"``, a playbook step of their own, a metric
``"logins_q3"`` -- is shown as written: :meth:`Catalogue.band`,
:meth:`~Catalogue.alert`, :meth:`~Catalogue.phrase` and :meth:`~Catalogue.label`
return their argument when they have no entry for it.

Examples:
    >>> ja = catalogue("ja")
    >>> ja.band("red"), ja.alert("at_risk"), ja.phrase("Monthly check-in")
    ('レッド', 'リスク中', '月次チェックイン')
    >>> ja.band("team-defined"), ja.date("2026-06-30"), ja.number(1234567.5, 1)
    ('team-defined', '2026年6月30日', '1,234,567.5')
    >>> en = catalogue("en")
    >>> en.date("2026-06-30T09:00:00+00:00"), en.instant("2026-06-30T09:00:00+00:00")
    ('Jun 30, 2026', 'Jun 30, 2026 09:00 UTC')
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal

import attrs

from healthscore import _time
from healthscore.exceptions import InputError

__all__ = ["LANGUAGES", "Catalogue", "Language", "catalogue", "check_language"]

Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = ("en", "ja")
"""The languages with a catalogue."""


def check_language(lang: object, field: str = "lang") -> Language:
    """``lang`` when it is a language with a catalogue.

    Raises:
        InputError: Any other value; the message lists the languages.
    """
    if lang not in LANGUAGES:
        msg = f"{field} must be one of {', '.join(LANGUAGES)}, got {lang!r}"
        raise InputError(msg, value=str(lang))
    return lang


@attrs.frozen
class Catalogue:
    """The words and formats of one language (see the module docstring)."""

    lang: Language
    tables: Mapping[str, Mapping[str, Any]]

    def _entry(self, table: str, key: str) -> str | None:
        found = self.tables.get(table, {}).get(key)
        return found if isinstance(found, str) else None

    def text(self, key: str, **values: Any) -> str:
        """The text of ``key`` (``"table.key"``, or a key of ``[ui]``), its
        ``{placeholders}`` filled from ``values``.

        Raises:
            KeyError: The catalogue has no such key (a test checks that every
                language has every key of English).
        """
        table, _, name = key.rpartition(".")
        found = self._entry(table or "ui", name)
        if found is None:
            msg = f"no text {key!r} in the {self.lang} catalogue"
            raise KeyError(msg)
        return found.format(**values) if values else found

    def band(self, name: str) -> str:
        """A band's name in this language; a name the catalogue does not know as written."""
        return self._entry("bands", name) or name

    def alert(self, name: str) -> str:
        """An alert level's name in this language; an unknown one as written."""
        return self._entry("alerts", name) or name

    def phrase(self, text: str) -> str:
        """A text of the package (playbook step, response, description) in this
        language; a text the catalogue does not know as written."""
        return self._entry("phrases", text) or text

    def label(self, name: str) -> str:
        """A preset's dimension or metric name in this language; any other as written."""
        return self._entry("labels", name) or name

    def date(self, value: Any) -> str:
        """A date (or an instant's UTC date) in this language's form."""
        day = datetime.fromtimestamp(_time.parse_instant(value, "date").seconds, UTC)
        return self._date_of(day)

    def instant(self, value: Any) -> str:
        """An instant in this language's form, with its UTC time."""
        moment = datetime.fromtimestamp(_time.parse_instant(value, "instant").seconds, UTC)
        clock = str(self.tables["format"]["time"]).format(hour=moment.hour, minute=moment.minute)
        return f"{self._date_of(moment)} {clock}"

    def _date_of(self, moment: datetime) -> str:
        form = self.tables["format"]
        month = form["months"][moment.month - 1]
        return str(form["date"]).format(year=moment.year, month=moment.month, month_name=month, day=moment.day)

    def number(self, value: float | None, digits: int = 0) -> str:
        """A number with this language's grouping and decimal mark; ``-`` for
        None or NaN."""
        if value is None or value != value or math.isinf(value):
            return "-"
        form = self.tables["format"]
        whole, _, fraction = f"{value:,.{digits}f}".partition(".")
        whole = whole.replace(",", str(form["group"]))
        return whole + (str(form["decimal"]) + fraction if fraction else "")

    def percent(self, share: float | None, digits: int = 0) -> str:
        """A share (0..1) as a percentage: ``0.47`` -> ``47%``."""
        return "-" if share is None or share != share else f"{self.number(100.0 * share, digits)}%"


@functools.cache
def catalogue(lang: str = "en") -> Catalogue:
    """The catalogue of ``lang`` (``"en"`` or ``"ja"``).

    Raises:
        InputError: A language without a catalogue.
    """
    name = check_language(lang)
    text = resources.files("healthscore").joinpath("data", "i18n", f"{name}.toml").read_text(encoding="utf-8")
    return Catalogue(lang=name, tables=tomllib.loads(text))
