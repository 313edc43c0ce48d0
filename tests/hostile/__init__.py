"""The hostile-input table: every bad or unusual input found so far, with the
outcome it must get.

Each area keeps its rows in a module of this package (``cases_<area>.py``)
holding a list ``CASES`` of :class:`CliCase` and :class:`ApiCase`;
``tests/test_hostile.py`` runs them all. When a new hostile input is found,
add a row here before fixing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

Files = Mapping[str, str | bytes]
"""Relative path -> content, written into a fresh folder before the case runs."""


@attrs.frozen(kw_only=True)
class CliCase:
    """One run of the ``healthscore`` command in a fresh folder.

    ``argv`` names files relative to that folder. After the run: the exit
    status is ``status``; each of ``stderr`` / ``stdout`` appears in that stream;
    the files in ``absent`` do not exist and those in ``unchanged`` hold what
    ``files`` wrote; ``check`` (if given) gets the folder for anything more.
    No run may end in a Python traceback. ``known`` marks a case not yet
    handled (the reason): it must fail until it is fixed, then the mark goes.
    """

    id: str
    argv: tuple[str, ...]
    files: Files = attrs.field(factory=dict)
    status: int = 2
    stderr: tuple[str, ...] = ()
    stdout: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    check: Callable[[Path], None] | None = None
    known: str = ""


@attrs.frozen(kw_only=True)
class ApiCase:
    """One call of the Python API in a fresh folder: it raises ``raises`` with
    a message matching ``match`` (a regular expression), or, when ``raises`` is
    None, returns a value that ``check`` accepts."""

    id: str
    call: Callable[[Path], object]
    raises: type[BaseException] | None = None
    match: str = ""
    check: Callable[[object], None] | None = None
    known: str = ""
