"""Stability between two snapshots: has the population moved under the model?

:func:`stability` compares two portfolios (say, last quarter's and today's):
the population stability index (PSI) of every metric and of the score, and the
band migration matrix of the accounts present in both.

PSI reads: below 0.1 stable, 0.1 to 0.25 a moderate shift worth a look, above
0.25 a major shift (re-check the curves and the weights).

Examples:
    >>> before = {"account_id": ["a", "b", "c"], "score": [80.0, 50.0, 30.0], "band": ["green", "orange", "red"]}
    >>> after = {"account_id": ["a", "b", "c"], "score": [82.0, 35.0, 30.0], "band": ["green", "red", "red"]}
    >>> report = stability(before, after, columns=["score"], bins=2)
    >>> report.migration["orange"]["red"]
    1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from healthscore._stats import PSIResult, population_stability
from healthscore.exceptions import InputError
from healthscore.portfolio import column_names, family_of, table_columns

__all__ = ["StabilityReport", "stability"]


@attrs.frozen(kw_only=True)
class StabilityReport:
    """PSI per column, and band migration (band before -> band after -> accounts)."""

    psi: dict[str, PSIResult]
    migration: dict[str, dict[str, int]]
    accounts_before: int
    accounts_after: int
    accounts_in_both: int

    def summary(self) -> str:
        """A readable text summary."""
        lines = [f"{'column':<28} {'PSI':>7}  reading"]
        for name, result in self.psi.items():
            value = result.psi
            reading = "stable" if value < 0.1 else "moderate shift" if value < 0.25 else "major shift"
            lines.append(f"{name:<28} {value:>7.3f}  {reading}")
        if self.migration:
            bands = list(self.migration)
            lines += [
                "",
                f"band migration of {self.accounts_in_both:,} accounts in both (rows: before, columns: after)",
            ]
            lines.append(" " * 12 + "".join(f"{b:>10}" for b in bands))
            for b in bands:
                lines.append(f"{b:<12}" + "".join(f"{self.migration[b].get(a, 0):>10,}" for a in bands))
        return "\n".join(lines)


def stability(
    before: Any,
    after: Any,
    *,
    columns: Sequence[str] | None = None,
    bins: int = 10,
    id_column: str = "account_id",
    band_order: Sequence[str] | None = None,
) -> StabilityReport:
    """PSI of each numeric column (default: every one in both tables) and band
    migration between two snapshots (any data frame family or mappings).

    Bins are the deciles of ``before``; missing values are a bin of their own.
    The migration matrix pairs accounts by ``id_column`` and needs a ``band``
    column in both.
    """
    names_before = column_names(before, family_of(before))
    names_after = column_names(after, family_of(after))
    shared = [c for c in names_before if c in set(names_after)]
    wanted = list(columns) if columns is not None else [c for c in shared if c not in (id_column, "band", "alert")]
    missing = [c for c in wanted if c not in shared]
    if missing:
        raise InputError(f"columns {missing} are not in both snapshots", column=missing[0])
    labels = {id_column, "band"}
    a = table_columns(before, [*wanted, id_column, "band"], labels=labels)
    b = table_columns(after, [*wanted, id_column, "band"], labels=labels)
    psi: dict[str, PSIResult] = {}
    for name in wanted:
        try:
            x, z = np.asarray(a[name], dtype=np.float64), np.asarray(b[name], dtype=np.float64)
        except (TypeError, ValueError):
            if columns is not None:
                raise InputError(f"column {name!r} is not numeric: PSI needs numbers", column=name) from None
            continue  # a label column among "every column": skipped
        psi[name] = population_stability(x, z, bins)
    migration: dict[str, dict[str, int]] = {}
    n_both = 0
    if id_column in a and id_column in b and "band" in a and "band" in b:
        band_before = dict(zip(map(str, a[id_column]), map(_label, a["band"]), strict=True))
        pairs = [
            (band_before[str(i)], _label(bb))
            for i, bb in zip(b[id_column], b["band"], strict=True)
            if str(i) in band_before
        ]
        n_both = len(pairs)
        seen = list(band_order) if band_order is not None else sorted({p for pair in pairs for p in pair})
        migration = {x: dict.fromkeys(seen, 0) for x in seen}
        for was, now in pairs:
            row = migration.setdefault(was, dict.fromkeys(seen, 0))
            row[now] = row.get(now, 0) + 1
    return StabilityReport(
        psi=psi,
        migration=migration,
        accounts_before=_length(a),
        accounts_after=_length(b),
        accounts_in_both=n_both,
    )


def _label(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(none)"
    return str(value) or "(none)"


def _length(cols: dict[str, Any]) -> int:
    return len(next(iter(cols.values()))) if cols else 0
