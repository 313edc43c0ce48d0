"""Score history: every account's score over time, in one SQLite file.

:class:`SQLiteHistory` keeps one snapshot per (model version, as-of date): each
account's score, band, alert, coverage and dimension scores. The model version
is :func:`healthscore.model_fingerprint`, so a score that moved because the
model changed is told apart from one that moved because the customer did.

* Writing a snapshot is one transaction: all accounts or none. A process killed
  in the middle leaves the old state (a test does kill one).
* Writing the same as-of date with the same model again replaces that snapshot
  (idempotent); another model version is kept apart.
* Readers can read while a writer writes (write-ahead log).

Examples:
    >>> import numpy as np
    >>> from healthscore import presets
    >>> from healthscore.history import SQLiteHistory
    >>> model = presets.dear()
    >>> scored = model.score_batch({"deployment": [0.9, 0.2]}, missing_columns="missing")
    >>> with SQLiteHistory(":memory:") as store:
    ...     store.write_snapshot(model, "2026-06-30", ["a", "b"], scored)
    ...     [round(p.score, 1) for p in store.series("b")]
    2
    [26.7]
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import attrs
import numpy as np

from healthscore.config import AnyModel, model_fingerprint
from healthscore.exceptions import InputError
from healthscore.model import BatchScores

__all__ = ["HistoryPoint", "SQLiteHistory", "SnapshotInfo"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    version TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    model_version TEXT NOT NULL REFERENCES models(version),
    as_of TEXT NOT NULL,
    accounts INTEGER NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (model_version, as_of)
);
CREATE TABLE IF NOT EXISTS scores (
    model_version TEXT NOT NULL,
    as_of TEXT NOT NULL,
    account_id TEXT NOT NULL,
    score REAL,
    band TEXT,
    alert TEXT,
    coverage REAL NOT NULL,
    PRIMARY KEY (model_version, as_of, account_id)
);
CREATE INDEX IF NOT EXISTS scores_by_account ON scores (account_id, as_of);
CREATE TABLE IF NOT EXISTS dimension_scores (
    model_version TEXT NOT NULL,
    as_of TEXT NOT NULL,
    account_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    score REAL,
    PRIMARY KEY (model_version, as_of, account_id, dimension)
);
"""


@attrs.frozen(kw_only=True)
class HistoryPoint:
    """One account's snapshot: score (``None`` without one), band, alert,
    coverage and dimension scores, with the as-of date and model version."""

    account_id: str
    as_of: str
    model_version: str
    score: float | None
    band: str | None
    alert: str | None
    coverage: float
    dimensions: dict[str, float | None]


@attrs.frozen(kw_only=True)
class SnapshotInfo:
    """A stored snapshot: its model version and name, as-of date, account count
    and when it was written."""

    model_version: str
    model_name: str
    as_of: str
    accounts: int
    written_at: str


def _iso_date(value: Any) -> str:
    """An as-of value as ``YYYY-MM-DD`` (or a full ISO date-time, kept)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value).strip()
    try:
        np.datetime64(text)
    except ValueError:
        raise InputError(f"as_of must be an ISO 8601 date, got {value!r}", column="as_of", value=value) from None
    return text


def _nullable(values: Any) -> list[Any]:
    arr = np.asarray(values, dtype=np.float64)
    return [None if math.isnan(v) else v for v in arr.tolist()]


class SQLiteHistory:
    """Score history in a SQLite file (``":memory:"`` for a throwaway store).

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open (or create) the store at ``path``."""
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def __enter__(self) -> SQLiteHistory:
        """The store itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def write_snapshot(
        self,
        model: AnyModel,
        as_of: Any,
        account_ids: Sequence[Any] | Any,
        scores: BatchScores,
    ) -> int:
        """Store the scores of every account as of ``as_of``, in one transaction.

        Writing the same ``as_of`` with the same model again replaces the earlier
        snapshot; another model version is kept apart.

        Args:
            model: The model that produced ``scores`` (its fingerprint is the version).
            as_of: The scoring date.
            account_ids: One id per account, in ``scores`` order (unique).
            scores: The result of ``model.score_batch``.

        Returns:
            The number of accounts written.
        """
        day = _iso_date(as_of)
        ids = [str(a) for a in np.asarray(account_ids, dtype=object).tolist()]
        if len(ids) != len(scores):
            raise InputError(f"account_ids has {len(ids)} entries but the scores hold {len(scores)} accounts")
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            dup = next(a for a in ids if a in seen or seen.add(a))  # type: ignore[func-returns-value]
            raise InputError(f"duplicate account_id {dup!r} in a snapshot", column="account_id", value=dup)
        version = model_fingerprint(model)
        score = _nullable(scores.score)
        coverage = np.asarray(scores.coverage, dtype=np.float64).tolist()
        band = [b or None for b in scores.band.tolist()]
        alert = [a or None for a in scores.alert.tolist()]
        rows = zip([version] * len(ids), [day] * len(ids), ids, score, band, alert, coverage, strict=True)
        dims = [(name, _nullable(values)) for name, values in scores.dimensions.items()]
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR IGNORE INTO models (version, name) VALUES (?, ?)", (version, model.name))
            db.execute("DELETE FROM scores WHERE model_version = ? AND as_of = ?", (version, day))
            db.execute("DELETE FROM dimension_scores WHERE model_version = ? AND as_of = ?", (version, day))
            db.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            for name, values in dims:
                db.executemany(
                    "INSERT INTO dimension_scores VALUES (?, ?, ?, ?, ?)",
                    zip([version] * len(ids), [day] * len(ids), ids, [name] * len(ids), values, strict=True),
                )
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                (version, day, len(ids)),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(ids)

    def snapshots(self) -> list[SnapshotInfo]:
        """Every stored snapshot, oldest first."""
        rows = self._db.execute(
            "SELECT r.model_version, m.name, r.as_of, r.accounts, r.written_at "
            "FROM runs r JOIN models m ON m.version = r.model_version ORDER BY r.as_of, r.written_at"
        ).fetchall()
        return [
            SnapshotInfo(model_version=v, model_name=n, as_of=a, accounts=c, written_at=w) for v, n, a, c, w in rows
        ]

    def _points(self, where: str, params: tuple[Any, ...]) -> list[HistoryPoint]:
        rows = self._db.execute(
            "SELECT account_id, as_of, model_version, score, band, alert, coverage FROM scores WHERE "
            + where
            + " ORDER BY as_of, account_id",
            params,
        ).fetchall()
        dims: dict[tuple[str, str, str], dict[str, float | None]] = {}
        for account, day, version, name, value in self._db.execute(
            "SELECT account_id, as_of, model_version, dimension, score FROM dimension_scores WHERE " + where, params
        ):
            dims.setdefault((account, day, version), {})[name] = value
        return [
            HistoryPoint(
                account_id=a,
                as_of=d,
                model_version=v,
                score=s,
                band=b,
                alert=al,
                coverage=c,
                dimensions=dims.get((a, d, v), {}),
            )
            for a, d, v, s, b, al, c in rows
        ]

    def _version(self, model: AnyModel | str | None) -> str | None:
        if model is None or isinstance(model, str):
            return model
        return model_fingerprint(model)

    def series(self, account_id: str, *, model: AnyModel | str | None = None) -> list[HistoryPoint]:
        """One account's snapshots over time, oldest first (optionally one model
        version only: a model or its fingerprint)."""
        version = self._version(model)
        if version is None:
            return self._points("account_id = ?", (str(account_id),))
        return self._points("account_id = ? AND model_version = ?", (str(account_id), version))

    def portfolio(self, as_of: Any, *, model: AnyModel | str | None = None) -> list[HistoryPoint]:
        """Every account's latest snapshot at or before ``as_of`` (one model
        version: the given one, else the version of the latest snapshot)."""
        day = _iso_date(as_of)
        version = self._version(model)
        if version is None:
            row = self._db.execute(
                "SELECT model_version FROM runs WHERE as_of <= ? ORDER BY as_of DESC, written_at DESC LIMIT 1", (day,)
            ).fetchone()
            if row is None:
                return []
            version = row[0]
        points = self._points("model_version = ? AND as_of <= ?", (version, day))
        latest: dict[str, HistoryPoint] = {}
        for point in points:  # ordered by as_of: later points replace earlier ones
            latest[point.account_id] = point
        return sorted(latest.values(), key=lambda p: p.account_id)
