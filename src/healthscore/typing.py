"""Public type aliases and protocols, for services that annotate their code.

Examples:
    >>> from healthscore.typing import Scorer
    >>> def halve(x):
    ...     return x / 2
    >>> isinstance(halve, Scorer)
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "ArrayLike",
    "BoolArray",
    "Columns",
    "FloatArray",
    "InputKind",
    "IntArray",
    "Record",
    "Scorer",
    "StrArray",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""A NumPy array of float64 values."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]
"""A NumPy array of booleans."""

IntArray: TypeAlias = npt.NDArray[np.intp]
"""A NumPy array of platform integers (indices, codes)."""

StrArray: TypeAlias = npt.NDArray[np.str_]
"""A NumPy array of unicode strings."""

ArrayLike: TypeAlias = npt.ArrayLike
"""Anything NumPy can turn into an array."""

Record: TypeAlias = Mapping[str, Any]
"""One account: metric name -> raw value (``None`` or NaN when missing)."""

Columns: TypeAlias = Mapping[str, Any]
"""Many accounts: column name -> array-like of raw values."""

InputKind: TypeAlias = Literal["numeric", "category", "boolean"]
"""What a scorer reads: numbers, category labels, or yes/no values."""


@runtime_checkable
class Scorer(Protocol):
    """Anything that maps a raw value to a 0..100 score.

    A scalar in gives a scalar out; an array in gives an array out. NaN in means
    "missing" and should give NaN out. The built-in scorers in
    :mod:`healthscore.scorers` follow this protocol, and so does a plain function;
    the model clips whatever a scorer returns to [0, 100].
    """

    def __call__(self, x: Any, /) -> Any:
        """Score ``x``, a scalar or an array."""
        ...
