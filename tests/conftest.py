"""Test set-up: import paths and Hypothesis profiles.

Profiles (pick one with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``ci`` (default): 100 examples per property, no deadline.
* ``dev``: 30 examples, for quick local runs.
* ``thorough``: 1000 examples, for a nightly or pre-release run.

No profile has a deadline: timings vary between machines and a slow example is
not a wrong one (benchmarks live in ``benchmarks/``).

History tests run on both backends (``history_target``): SQLite, and a
PostgreSQL server -- ``HEALTHSCORE_TEST_POSTGRES`` when set, else a throwaway
local one started from Debian's postgresql package (see ``pgserver.py``).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

TESTS = Path(__file__).resolve().parent

# Let test modules share ``strategies.py`` (pytest runs with
# --import-mode=importlib, which does not put the test folder on sys.path). The
# package itself is the installed one (``python3 dev.py test`` installs it).
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --------------------------------------------------------------------------- history backends


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the session: ``HEALTHSCORE_TEST_POSTGRES`` (a
    URL) when set, else a throwaway local one; skips, saying why, when neither
    can be had."""
    given = os.environ.get("HEALTHSCORE_TEST_POSTGRES")
    if given:
        yield given
        return
    import pgserver

    try:
        server = pgserver.start()
    except pgserver.Unavailable as exc:
        pytest.skip(f"PostgreSQL backend not tested: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def history_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh, empty history store lives: a SQLite file, or a new
    database on the PostgreSQL server (dropped afterwards)."""
    if request.param == "sqlite":
        yield str(tmp_path / "history.db")
        return
    import psycopg

    base: str = request.getfixturevalue("postgres_url")
    name = f"hs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(base)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
