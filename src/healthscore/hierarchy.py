"""Account hierarchies: trees of accounts, and a parent's score rolled up from its children's.

Enterprise customers are trees: a group with subsidiaries, a company with
workspaces. An accounts table says so with a ``parent_id`` column: each row
names its parent's ``account_id``, or leaves it empty for a top-level account.
:func:`build_tree` reads those links into a :class:`Tree` of any depth (level 0
is the top); a cycle, an account that is its own parent or a parent that is no
account of the table is an :class:`~healthscore.InputError` naming the accounts
on the path (``a -> b -> c -> a``), the column, the row and the value, or, with
``on_bad_rows="report"``, a :class:`~healthscore.exports.RejectedRow` with the
reason, the link cut and the account scored as a top-level one.

A :class:`RollUp` policy -- held by the model (:attr:`HealthModel.rollup
<healthscore.HealthModel>`) and written in its file -- says how a parent's
score follows from its children's: their ARR-weighted mean (the default),
their plain mean, or the worst child, optionally blended with the parent's own
score. :func:`roll_up` applies it to a batch of scores level by level, from the
bottom up, in NumPy (one step per level, never one per account);
:func:`score_account` is the one-account path, the same code on the account's
subtree. Band and alert follow from the rolled-up score through the model's own
band and alert policies; coverage rolls up with the same weights; a parent's
drivers name the children that cost it most points (``child:<id>``) beside its
own metrics. See ``docs/hierarchies.md``.

Examples:
    >>> from healthscore import presets
    >>> from healthscore.hierarchy import score_batch
    >>> out = score_batch(presets.dear(), {
    ...     "account_id": ["group", "eu", "us"], "parent_id": [None, "group", "group"],
    ...     "arr": [0.0, 30000.0, 10000.0], "deployment": [0.9, 1.0, 0.2],
    ... }, missing_columns="missing", drivers=2)
    >>> out.tree.level.tolist(), [round(s, 1) for s in out.own_score.tolist()]
    ([0, 1, 1], [92.0, 100.0, 26.7])
    >>> round(float(out.scores.score[0]), 1), str(out.scores.band[0]), str(out.scores.drivers[0][0])
    (81.7, 'green', 'child:us')
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeGuard

import attrs
import numpy as np

from healthscore._frames import family_of, table_columns
from healthscore.exceptions import InputError, ValidationError
from healthscore.exports import RejectedRow

if TYPE_CHECKING:
    from types import ModuleType

    from healthscore.model import BatchScores, HealthModel, SegmentedModel

__all__ = [
    "CHILD_PREFIX",
    "PARENT_COLUMN",
    "AccountRollUp",
    "BadRows",
    "MissingWeight",
    "RollUp",
    "RollUpMethod",
    "RolledScores",
    "Tree",
    "build_tree",
    "policy_of",
    "roll_up",
    "score_account",
    "score_batch",
]

RollUpMethod: TypeAlias = Literal["arr_mean", "account_mean", "worst"]
"""How a parent's score follows from its children's: their mean weighted by
ARR (each child's subtree ARR), their plain mean, or the lowest."""

MissingWeight: TypeAlias = Literal["error", "mean"]
"""What a child without ARR weighs under ``"arr_mean"``: an error naming it, or
the mean ARR of its siblings that have one."""

BadRows: TypeAlias = Literal["error", "report"]
"""What a bad link (a cycle, a self-parent, an unknown parent) does: stop with
an error, or be set aside with its reason."""

PARENT_COLUMN = "parent_id"
"""The column that holds each account's parent id (empty for a top-level account)."""

CHILD_PREFIX = "child:"
"""How a parent's drivers name a child: ``child:<account id>``."""

_METHODS = ("arr_mean", "account_mean", "worst")


def _model() -> ModuleType:
    """:mod:`healthscore.model`, which imports this module for :class:`RollUp`."""
    from healthscore import model  # noqa: PLC0415 -- model.py imports this module

    return model


def _segmented(model: HealthModel | SegmentedModel) -> TypeGuard[SegmentedModel]:
    return isinstance(model, _model().SegmentedModel)


def _single(model: HealthModel | SegmentedModel) -> HealthModel | None:
    """``model`` when it is one :class:`~healthscore.HealthModel`, else ``None``."""
    return model if isinstance(model, _model().HealthModel) else None


# --------------------------------------------------------------------------- the policy


def _check_share(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValidationError(attribute.name, "must be a share in [0, 1]", value)


def _check_column(_inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ValidationError(attribute.name, "must be a column name without surrounding spaces", value)


def _as_share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValidationError("own_weight", "must be a number (a share in [0, 1])", value)
    return float(value)


@attrs.frozen(kw_only=True)
class RollUp:
    """How a parent account's score follows from its children's.

    Args:
        method: ``"arr_mean"`` (default): the children's scores weighted by
            their ARR -- each child's *subtree* ARR, its own plus its
            descendants', so a holding whose money sits in its subsidiaries
            weighs what they do. ``"account_mean"``: every child weighs the
            same. ``"worst"``: the lowest child's score.
        own_weight: Share (0..1) of the parent's own score in its rolled-up
            score: ``own_weight * own + (1 - own_weight) * children``. 0
            (default): the children alone. A parent without a score of its own
            takes the children's; one none of whose children has a score keeps
            its own.
        weight_column: The column of ARR (``"arr"``, the accounts table's).
        missing_weight: A child whose ARR (its own and its descendants') is
            missing: ``"mean"`` (default) weighs it as the mean of its siblings
            that have one (all siblings equal when none has), with a warning
            naming how many and which; ``"error"`` refuses it, naming it. CRM
            data often lacks ARR for a few accounts (no won deal yet), which
            should not stop a whole book from scoring. A parent all of whose
            scored children have ARR 0 weighs them equally. Missing ARR is
            never a silent NaN.

    Examples:
        >>> RollUp().method, RollUp(method="worst", own_weight=0.25).own_weight
        ('arr_mean', 0.25)
        >>> RollUp(method="median")
        Traceback (most recent call last):
        ...
        healthscore.exceptions.ValidationError: method must be one of 'arr_mean', 'account_mean', 'worst', got 'median'
    """

    method: RollUpMethod = attrs.field(default="arr_mean")
    own_weight: float = attrs.field(default=0.0, converter=_as_share, validator=_check_share)
    weight_column: str = attrs.field(default="arr", validator=_check_column)
    missing_weight: MissingWeight = attrs.field(default="mean")

    @method.validator
    def _check_method(self, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in _METHODS:
            raise ValidationError(attribute.name, "must be one of 'arr_mean', 'account_mean', 'worst'", value)

    @missing_weight.validator
    def _check_missing(self, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in ("error", "mean"):
            raise ValidationError(attribute.name, "must be 'error' or 'mean'", value)

    @property
    def weighs_by_arr(self) -> bool:
        """Whether the policy reads :attr:`weight_column`."""
        return self.method == "arr_mean"


def policy_of(model: HealthModel | SegmentedModel) -> RollUp:
    """The roll-up policy in effect for ``model``: its :attr:`rollup`, or the
    default :class:`RollUp` (ARR-weighted mean) when it sets none. A segmented
    model's segments must agree on one (a tree spans segments).

    Raises:
        InputError: Two segments of a segmented model roll up differently.

    Examples:
        >>> from healthscore import presets
        >>> policy_of(presets.dear()).method
        'arr_mean'
    """
    single = _single(model)
    if single is not None:
        return single.rollup or RollUp()
    assert _segmented(model)
    models = [(k, m) for k, m in model.segments] + ([("default", model.default)] if model.default else [])
    policies = {(k, m.rollup or RollUp()) for k, m in models}
    distinct = {p for _, p in policies}
    if len(distinct) > 1:
        shown = "; ".join(f"segment {k!r}: {p!r}" for k, p in sorted(policies, key=lambda kp: kp[0]))
        raise InputError(
            f"the segments of model {model.name!r} roll up differently ({shown}); one tree spans segments, "
            "so give every segment's model the same rollup"
        )
    return distinct.pop()


# --------------------------------------------------------------------------- the tree


@attrs.frozen(kw_only=True, eq=False)
class Tree:
    """Accounts linked to their parents, any depth.

    Attributes:
        keys: Each account's id as text (integers written in full).
        parent: Each account's parent row, -1 for a top-level account.
        level: Each account's depth: 0 at the top, 1 for its children, ...
        rejected: The links set aside by ``on_bad_rows="report"``, each with
            its reason (the account is then top-level).
        column: The parent column the links came from.
    """

    keys: Any
    parent: Any
    level: Any
    rejected: tuple[RejectedRow, ...] = ()
    column: str = PARENT_COLUMN
    _rows_by_level: tuple[Any, ...] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        depth = int(self.level.max()) + 1 if self.level.size else 0
        order = np.argsort(self.level, kind="stable")  # rows of each level, ascending
        bounds = np.searchsorted(self.level[order], np.arange(depth + 1))
        object.__setattr__(self, "_rows_by_level", tuple(order[bounds[i] : bounds[i + 1]] for i in range(depth)))

    def __len__(self) -> int:
        """Number of accounts."""
        return int(self.parent.shape[0])

    @property
    def depth(self) -> int:
        """Number of levels (1 for a table without links, 0 for no accounts)."""
        return len(self._rows_by_level)

    def rows_at(self, level: int) -> Any:
        """The rows at ``level``, ascending."""
        return self._rows_by_level[level]

    @property
    def has_children(self) -> Any:
        """Whether each account is some account's parent."""
        out = np.zeros(len(self), dtype=bool)
        out[self.parent[self.parent >= 0]] = True
        return out

    def subtree(self, row: int) -> Any:
        """The rows of ``row`` and its descendants, ascending."""
        inside = np.zeros(len(self), dtype=bool)
        inside[row] = True
        for level in range(int(self.level[row]) + 1, self.depth):
            rows = self._rows_by_level[level]
            inside[rows] = inside[self.parent[rows]]
        return np.flatnonzero(inside)

    def subtree_sum(self, values: Any) -> Any:
        """Each account's value plus its descendants' (a parent's subtree ARR):
        NaN is left out of a sum, and stays NaN only where nothing in the
        subtree is known; the same sums the ARR-weighted roll-up weighs a child by.

        Examples:
            >>> tree = build_tree(["holding", "eu", "fr", "us"], ["", "holding", "eu", "holding"])
            >>> tree.subtree_sum([float("nan"), 10.0, 5.0, 20.0]).tolist()
            [35.0, 15.0, 5.0, 20.0]
        """
        out = np.array(values, dtype=np.float64)
        if out.shape != (len(self),):
            raise InputError(f"subtree_sum needs one value per account ({len(self)}), got shape {out.shape}")
        for level in range(self.depth - 1, 0, -1):
            kids = self.rows_at(level)
            _subtree_weights(self, kids, np.unique(self.parent[kids]), out)
        return out

    def take(self, rows: Any) -> Tree:
        """The tree of ``rows`` (ascending, closed under children): a row whose
        parent is not among them is top-level there."""
        local = np.full(len(self), -1, dtype=np.intp)
        local[rows] = np.arange(rows.shape[0])
        parent = self.parent[rows]
        new_parent = np.where(parent >= 0, local[np.maximum(parent, 0)], -1)
        level = self.level[rows] - (self.level[rows].min() if rows.size else 0)
        return Tree(keys=self.keys[rows], parent=new_parent, level=level, column=self.column)


def _keys(values: Any, column: str, *, ids: bool) -> tuple[Any, Any]:
    """Ids as text keys, and which are missing (an empty parent: top-level).

    Integers (and whole floats, as a pandas integer column with gaps comes)
    are written in full, so that parent ``3.0`` is account ``3``."""
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind in "iu":
        return arr.astype(np.str_), np.zeros(arr.shape[0], dtype=bool)
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
        whole = np.where(missing, 0.0, arr)
        if (whole != np.round(whole)).any():
            row = int(np.flatnonzero(whole != np.round(whole))[0])
            raise InputError(
                f"column {column!r}, row {row}: {float(arr[row])!r} is no account id (an id is text or an integer)",
                column=column,
                row=row,
                value=arr[row],
            )
        return np.where(missing, "", whole.astype(np.int64).astype(np.str_)), missing
    if arr.dtype.kind in "US":
        keys = arr.astype(np.str_)
        return keys, keys == ""
    return _object_keys(arr, column, ids=ids)


def _object_keys(arr: Any, column: str, *, ids: bool) -> tuple[Any, Any]:
    """:func:`_keys` of an object array: texts and integers as they are,
    floats made whole, ``None``/NaN/``""`` missing."""
    missing = np.asarray((arr == None) | (arr != arr), dtype=bool)  # noqa: E711 -- elementwise
    keys = np.where(missing, "", arr).astype(np.str_)
    missing |= keys == ""
    odd = np.flatnonzero(~missing & (np.char.find(keys, ".") >= 0))  # maybe floats: 3.0 is id 3
    for row in odd.tolist():
        value = arr[row]
        if isinstance(value, float | np.floating):
            if not float(value).is_integer():
                raise InputError(
                    f"column {column!r}, row {row}: {float(value)!r} is no account id (an id is text or an integer)",
                    column=column,
                    row=row,
                    value=value,
                )
            keys[row] = str(int(value))
    if ids and missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(f"column {column!r}, row {row}: empty account id", column=column, row=row, value=arr[row])
    return keys, missing


def _depths(parent: Any) -> tuple[Any, Any]:
    """Each row's depth and whether it reaches a top-level account, by pointer
    jumping (a few NumPy passes, whatever the depth); rows on or under a cycle
    never reach one."""
    n = parent.shape[0]
    up = np.append(np.where(parent < 0, n, parent), n)  # row n: a root above every top-level account
    depth = np.append((parent >= 0).astype(np.int64), 0)
    for _ in range(max(1, n.bit_length() + 1)):
        if (up[up] == up).all():  # every pointer at the root or on a self-loop
            break
        depth = depth + depth[up]
        up = up[up]
    return depth[:n], up[:n] == n


def _cycles(parent: Any, bad: Any) -> list[list[int]]:
    """The cycles among the rows that reach no top-level account, each from its
    lowest row, in the order of those rows."""
    state = np.zeros(parent.shape[0], dtype=np.int8)  # 0 unseen, 1 on the current walk, 2 done
    found: list[list[int]] = []
    for start in np.flatnonzero(bad).tolist():
        path: list[int] = []
        row = start
        while row >= 0 and state[row] == 0:
            state[row] = 1
            path.append(row)
            row = int(parent[row])
        if row >= 0 and state[row] == 1:
            cycle = path[path.index(row) :]
            low = cycle.index(min(cycle))
            found.append(cycle[low:] + cycle[:low])
        state[path] = 2
    return found


def _cycle_text(keys: Any, cycle: list[int]) -> str:
    names = [str(keys[r]) for r in cycle]
    shown = names if len(names) <= 12 else [*names[:10], f"... ({len(names) - 11} more)", names[-1]]
    return " -> ".join([*shown, names[0]])


_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


def _hashes(keys: Any, width: int) -> Any:
    """A 64-bit FNV-1a hash of each text, one NumPy pass per character:
    sorting and searching numbers is many times faster than texts."""
    codes = np.ascontiguousarray(keys, dtype=f"<U{width}").view(np.uint32).reshape(-1, width)
    h = np.full(codes.shape[0], _FNV_OFFSET, dtype=np.uint64)
    for c in range(width):
        h ^= codes[:, c]
        h *= _FNV_PRIME
    return h


def _duplicate(keys: Any, first: int, second: int, id_column: str) -> InputError:
    a, b = sorted((first, second))
    return InputError(
        f"column {id_column!r}: duplicate account id {str(keys[a])!r} in rows {a} and {b}",
        column=id_column,
        row=b,
        value=str(keys[a]),
    )


def _match(keys: Any, parent_keys: Any, root: Any, id_column: str) -> Any:
    """Each row's parent row (-1 at the top or for an unknown parent); a
    duplicate id is an error. Matched by hash, every match checked on the texts."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    width = max(keys.dtype.itemsize, parent_keys.dtype.itemsize, 4) // 4
    hashed = _hashes(keys, width)
    order = np.argsort(hashed)
    sorted_hash = hashed[order]
    same = np.flatnonzero(sorted_hash[1:] == sorted_hash[:-1])
    if same.size:
        equal = keys[order[same]] == keys[order[same + 1]]
        if equal.any():
            i = int(same[np.flatnonzero(equal)[0]])
            raise _duplicate(keys, int(order[i]), int(order[i + 1]), id_column)
        return _match_texts(keys, parent_keys, root, id_column)  # two ids share a hash: match the texts
    wanted = _hashes(parent_keys, width)
    pos = np.minimum(np.searchsorted(sorted_hash, wanted), n - 1)
    candidate = order[pos]
    found = (sorted_hash[pos] == wanted) & (keys[candidate] == parent_keys) & ~root
    return np.where(found, candidate, -1).astype(np.intp)


def _match_texts(keys: Any, parent_keys: Any, root: Any, id_column: str) -> Any:
    order = np.argsort(keys)
    sorted_keys = keys[order]
    same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
    if same.size:
        raise _duplicate(keys, int(order[same[0]]), int(order[same[0] + 1]), id_column)
    pos = np.minimum(np.searchsorted(sorted_keys, parent_keys), keys.shape[0] - 1)
    found = (sorted_keys[pos] == parent_keys) & ~root
    return np.where(found, order[pos], -1).astype(np.intp)


def build_tree(
    ids: Any,
    parents: Any,
    *,
    column: str = PARENT_COLUMN,
    on_bad_rows: BadRows = "error",
    lines: Any = None,
    source: str = "<accounts>",
    id_column: str = "account_id",
) -> Tree:
    """Link each account to its parent.

    Args:
        ids: The account ids, one per row (text or whole numbers; unique).
        parents: Each row's parent id; ``None``, NaN or ``""`` for a top-level
            account.
        column: The parent column's name, for messages.
        on_bad_rows: ``"error"`` (default): a bad link is an
            :class:`~healthscore.InputError`; ``"report"``: it is cut, the
            account made top-level, and the link set aside in
            :attr:`Tree.rejected` with its reason.
        lines: Each row's line in its file: messages then name ``source``
            and the line (default: the row; a rejected row's line is the row
            number + 1).
        source: The file the rows came from.
        id_column: The id column's name, for messages.

    Raises:
        InputError: A duplicate id, a parent that is no account, an account that is its own
            parent, or a cycle (``a -> b -> c -> a``); the message names the
            column, the row and the value.

    Examples:
        >>> tree = build_tree(["g", "a", "b"], [None, "g", "a"])
        >>> tree.level.tolist(), tree.parent.tolist()
        ([0, 1, 2], [-1, 0, 1])
        >>> build_tree(["a", "b", "c"], ["c", "a", "b"])
        Traceback (most recent call last):
        ...
        healthscore.exceptions.InputError: column 'parent_id', row 0: the parent links form a cycle a -> c -> b -> a ...
    """
    if on_bad_rows not in ("error", "report"):
        raise ValidationError("on_bad_rows", "must be 'error' or 'report'", on_bad_rows)
    keys, _ = _keys(ids, id_column, ids=True)
    parent_keys, root = _keys(parents, column, ids=False)
    n = keys.shape[0]
    if parent_keys.shape[0] != n:
        raise InputError(f"column {column!r} has {parent_keys.shape[0]} rows, the ids {n}", column=column)
    parent = _match(keys, parent_keys, root, id_column)
    found = parent >= 0
    unknown = np.flatnonzero(~root & ~found)
    rejected: list[RejectedRow] = []

    def where(row: int) -> str:
        return f"column {column!r}, row {row}" if lines is None else f"{source} line {lines[row]}, column {column!r}"

    def reject(row: int, reason: str) -> None:
        if on_bad_rows == "error":
            raise InputError(f"{where(row)}: {reason}", column=column, row=row, value=str(parent_keys[row]))
        line = int(lines[row]) if lines is not None else row + 1
        reason = f"{reason} (the link is cut: scored as a top-level account)"
        rejected.append(
            RejectedRow(
                table="accounts", source=source, line=line, column=column, value=str(parent_keys[row]), reason=reason
            )
        )

    for row in unknown.tolist():
        reject(
            row,
            f"account {str(keys[row])!r} names parent {str(parent_keys[row])!r}, which is no account of the table",
        )
    level, reached = _depths(parent)
    if not reached.all():
        for cycle in _cycles(parent, ~reached):
            text = _cycle_text(keys, cycle)
            what = f"account {str(keys[cycle[0]])!r} is its own parent" if len(cycle) == 1 else "the parent links"
            reason = f"{what} form a cycle {text}" if len(cycle) > 1 else f"{what} ({text})"
            places = ", ".join(str(r if lines is None else lines[r]) for r in cycle[:10])
            places = f"{'rows' if lines is None else 'lines'} {places}{', ...' if len(cycle) > 10 else ''}"
            for row in cycle:  # every link of the cycle is cut: none of them is more wrong than the others
                reject(row, f"{reason} ({places})")
                parent[row] = -1
        level, reached = _depths(parent)
    return Tree(keys=keys, parent=parent, level=level, rejected=tuple(rejected), column=column)


# --------------------------------------------------------------------------- rolling up


@attrs.frozen(kw_only=True, eq=False)
class RolledScores:
    """A batch of scores with parents rolled up.

    Attributes:
        scores: The scores, parents' rows holding the rolled-up score, band,
            alert, coverage, status and drivers (dimension and metric columns
            stay each account's own).
        own_score: Each account's own score (the model on its own metrics).
        tree: The tree the scores were rolled up over.
        ids: The account ids as they were read (``None`` when not given).
    """

    scores: BatchScores
    own_score: Any
    tree: Tree
    ids: Any = None

    def __len__(self) -> int:
        """Number of accounts."""
        return len(self.tree)

    def parent_values(self, ids: Any = None) -> Any:
        """Each account's parent id taken from ``ids`` (default: :attr:`ids`,
        else the tree's keys), ``None`` for a top-level account (an object array)."""
        if ids is None:
            ids = self.tree.keys if self.ids is None else self.ids
        values = np.empty(len(self.tree), dtype=object)
        values[:] = list(ids) if not isinstance(ids, np.ndarray) else ids
        out = np.full(len(self.tree), None, dtype=object)
        linked = self.tree.parent >= 0
        out[linked] = values[self.tree.parent[linked]]
        return out

    def to_columns(self, ids: Any = None) -> dict[str, Any]:
        """``parent_id`` (from ``ids``, as :meth:`parent_values`), ``level``, then the columns of
        :meth:`BatchScores.to_columns` with ``own_score`` after ``score``."""
        out: dict[str, Any] = {self.tree.column: self.parent_values(ids), "level": self.tree.level}
        for name, values in self.scores.to_columns().items():
            out[name] = values
            if name == "score":
                out["own_score"] = self.own_score
        return out


@attrs.frozen(kw_only=True)
class AccountRollUp:
    """One account's rolled-up score (:func:`score_account`).

    Attributes:
        account_id: The account.
        parent_id: Its parent, ``None`` at the top.
        level: Its depth (0 at the top).
        score: The rolled-up score (its own for an account without children),
            ``None`` without one.
        own_score: The model's score of its own metrics, ``None`` without one.
        band: The band of :attr:`score`.
        alert: The alert level of :attr:`score`.
        coverage: The rolled-up coverage.
        children: Its children's ids, in table order.
        drivers: (name, points) of what costs it most points: ``child:<id>``
            for a child, a metric's name for its own metrics.
    """

    account_id: str
    parent_id: str | None
    level: int
    score: float | None
    own_score: float | None
    band: str | None
    alert: str | None
    coverage: float
    children: tuple[str, ...] = ()
    drivers: tuple[tuple[str, float], ...] = ()


@attrs.frozen
class _Step:
    """What one level's roll-up computed for its parents (``upar``) and their
    children (``kids``, ``inv`` the parent of each among ``upar``)."""

    upar: Any
    rolled: Any
    coverage: Any
    own_share: Any
    kid_points: Any


def _weights(policy: RollUp, tree: Tree, kids: Any, inv: Any, subtree_w: Any, m: int) -> Any:
    """Each child's weight under the policy (missing ARR handled)."""
    if not policy.weighs_by_arr:
        return np.ones(kids.shape[0])
    w = subtree_w[kids]
    missing = np.isnan(w)
    if not missing.any():
        return w
    if policy.missing_weight == "error":
        row = int(kids[np.flatnonzero(missing)[0]])
        parent = int(tree.parent[row])
        raise InputError(
            f"column {policy.weight_column!r}, row {row}: account {str(tree.keys[row])!r} has no ARR (nor its "
            f"descendants), and its parent {str(tree.keys[parent])!r} rolls up by ARR (rollup.method = 'arr_mean'); "
            "give it one, or set rollup.missing_weight = 'mean' (weigh it as its siblings' mean) or "
            "rollup.method = 'account_mean'",
            column=policy.weight_column,
            row=row,
        )
    _warn_missing_arr(policy, tree, kids[missing])
    known = ~missing
    total = np.bincount(inv, np.where(known, w, 0.0), minlength=m)
    count = np.bincount(inv, known, minlength=m)
    fill = np.where(count > 0, total / np.maximum(count, 1), 1.0)
    w = np.where(missing, fill[inv], w)
    none_known = count[inv] == 0
    return np.where(none_known, 1.0, w)  # no sibling has ARR: all equal


def _warn_missing_arr(policy: RollUp, tree: Tree, rows: Any) -> None:
    """Say which children without ARR were weighed as their siblings' mean."""
    names = ", ".join(repr(str(tree.keys[int(r)])) for r in rows[:5])
    more = f" and {rows.shape[0] - 5} more" if rows.shape[0] > 5 else ""
    warnings.warn(
        f"column {policy.weight_column!r}: {rows.shape[0]} account(s) under a parent that rolls up by ARR have no "
        f"ARR (nor their descendants): {names}{more}; each is weighed as the mean ARR of its siblings "
        "(rollup.missing_weight = 'mean'); give them one, or set rollup.missing_weight = 'error' to refuse",
        UserWarning,
        stacklevel=2,
    )


def _step(policy: RollUp, tree: Tree, kids: Any, score: Any, cover: Any, own: Any, own_cover: Any, sub_w: Any) -> _Step:
    """Roll the children ``kids`` (one level, scores final) up into their parents."""
    upar, inv = np.unique(tree.parent[kids], return_inverse=True)
    m = upar.shape[0]
    w = _weights(policy, tree, kids, inv, sub_w, m)
    s = score[kids]
    scored = ~np.isnan(s)
    count = np.bincount(inv, scored, minlength=m)
    filled = np.where(scored, s, 0.0)
    if policy.method == "worst":
        low = np.full(m, np.inf)
        np.minimum.at(low, inv, np.where(scored, s, np.inf))
        kids_value = np.where(count > 0, low, np.nan)
        first = np.zeros(kids.shape[0], dtype=bool)  # the first child at its parent's minimum takes it all
        at_min = np.flatnonzero(scored & (s == low[inv]))
        first[at_min[np.unique(inv[at_min], return_index=True)[1]]] = True
        share = first.astype(np.float64)
        cover_w = np.ones(kids.shape[0])
    else:
        ws = np.where(scored, w, 0.0)
        den = np.bincount(inv, ws, minlength=m)
        num = np.bincount(inv, ws * filled, minlength=m)
        equal = (den <= 0) & (count > 0)  # every scored child has ARR 0: weighed equally
        num_eq = np.bincount(inv, filled, minlength=m)
        with np.errstate(invalid="ignore", divide="ignore"):
            kids_value = np.where(equal, num_eq / np.maximum(count, 1), num / den)
            share = np.where(equal[inv], scored / np.maximum(count[inv], 1), ws / den[inv])
        kids_value = np.where(count > 0, kids_value, np.nan)
        share = np.where(count[inv] > 0, share, 0.0)
        cover_w = w if policy.weighs_by_arr else np.ones(kids.shape[0])
    own_p = own[upar]
    blended = (policy.own_weight > 0) & ~np.isnan(own_p)
    ow = policy.own_weight
    rolled = np.where(count > 0, np.where(blended, ow * own_p + (1.0 - ow) * kids_value, kids_value), own_p)
    own_share = np.where(count > 0, np.where(blended, ow, 0.0), 1.0)
    kid_factor = np.where(count > 0, 1.0 - own_share, 0.0)
    kid_points = np.where(scored, kid_factor[inv] * share * (100.0 - filled), 0.0)
    cden = np.bincount(inv, cover_w, minlength=m)
    cnum = np.bincount(inv, cover_w * cover[kids], minlength=m)
    ceq = np.bincount(inv, cover[kids], minlength=m) / np.bincount(inv, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        kids_cover = np.where(cden > 0, cnum / cden, ceq)
    cover_share = policy.own_weight
    coverage = cover_share * own_cover[upar] + (1.0 - cover_share) * kids_cover
    return _Step(upar, rolled, coverage, own_share, kid_points)


def _subtree_weights(tree: Tree, kids: Any, upar: Any, sub_w: Any) -> None:
    """Add the children's subtree ARR into their parents' (missing stays
    missing only where nothing below is known)."""
    inv = np.searchsorted(upar, tree.parent[kids])
    w = sub_w[kids]
    known = ~np.isnan(w)
    below = np.bincount(inv, np.where(known, w, 0.0), minlength=upar.shape[0])
    any_below = np.bincount(inv, known, minlength=upar.shape[0]) > 0
    own = sub_w[upar]
    sub_w[upar] = np.where(np.isnan(own), np.where(any_below, below, np.nan), own + below)


def _read_weights(policy: RollUp, weights: Any, n: int) -> Any:
    if not policy.weighs_by_arr:
        return np.full(n, np.nan)
    if weights is None:
        raise InputError(
            f"the roll-up weighs children by ARR (rollup.method = 'arr_mean'), read from column "
            f"{policy.weight_column!r}, which the data lacks; add it, or set rollup.method = 'account_mean'",
            column=policy.weight_column,
        )
    try:
        w = np.asarray(_model().to_numpy(weights), dtype=np.float64)
    except (TypeError, ValueError):
        values = np.asarray(weights, dtype=object)
        bad = next(i for i, v in enumerate(values.tolist()) if not _is_number(v))
        raise InputError(
            f"column {policy.weight_column!r}, row {bad}: {values[bad]!r} is not a number (ARR)",
            column=policy.weight_column,
            row=bad,
            value=values[bad],
        ) from None
    if w.shape != (n,):
        raise InputError(f"column {policy.weight_column!r} has {w.shape[0]} rows, the scores {n}")
    bad_rows = np.flatnonzero(np.isinf(w) | (w < 0))
    if bad_rows.size:
        row = int(bad_rows[0])
        raise InputError(
            f"column {policy.weight_column!r}, row {row}: ARR must be a finite number >= 0, got {float(w[row])!r}",
            column=policy.weight_column,
            row=row,
            value=float(w[row]),
        )
    return w


def _is_number(value: object) -> bool:
    if value is None:
        return True
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _roll_arrays(policy: RollUp, tree: Tree, own: Any, own_cover: Any, weights: Any) -> tuple[Any, Any, Any, Any]:
    """Score, coverage, own share and the points each child costs its parent,
    bottom-up one level at a time."""
    score = own.copy()
    cover = own_cover.copy()
    own_share = np.ones(own.shape[0])
    kid_points = np.zeros(own.shape[0])
    sub_w = weights.copy()
    for level in range(tree.depth - 1, 0, -1):
        kids = tree.rows_at(level)
        step = _step(policy, tree, kids, score, cover, own, own_cover, sub_w)
        score[step.upar] = step.rolled
        cover[step.upar] = step.coverage
        own_share[step.upar] = step.own_share
        kid_points[kids] = step.kid_points
        if policy.weighs_by_arr:
            _subtree_weights(tree, kids, step.upar, sub_w)
    return score, cover, own_share, kid_points


def _drivers(
    tree: Tree, scored: BatchScores, own_share: Any, kid_points: Any, k: int
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Each parent's ``k`` costliest drivers among its children and its own
    metrics (points scaled by the shares they carry); other rows as they were.

    Candidates are ranked as numbers (a child's row, or ``-1 - j`` for the
    parent's own ``j``-th driver); only the names picked are written."""
    n = len(tree)
    base = list(scored.drivers)
    base_points = [np.asarray(p, dtype=np.float64) for p in scored.points_lost]
    parents = np.flatnonzero(tree.has_children)
    if k == 0 or parents.size == 0:
        names = [*base, *(np.full(n, "", dtype=np.str_) for _ in range(k - len(base)))]
        return tuple(names), (*base_points, *(np.zeros(n) for _ in range(k - len(base))))
    kids = np.flatnonzero((tree.parent >= 0) & (kid_points > 0))
    rows, pts, refs = [tree.parent[kids]], [kid_points[kids]], [kids]
    for j, names_j in enumerate(base):
        named = parents[names_j[parents] != ""]
        rows.append(named)
        pts.append(base_points[j][named] * own_share[named])
        refs.append(np.full(named.shape[0], -1 - j, dtype=np.intp))
    row, pt, ref = np.concatenate(rows), np.concatenate(pts), np.concatenate(refs)
    keep = pt > 0
    row, pt, ref = row[keep], pt[keep], ref[keep]
    order = np.lexsort((-pt, row))  # by parent, costliest first; ties in candidate order
    row, pt, ref = row[order], pt[order], ref[order]
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]]) if row.size else np.zeros(0, dtype=np.intp)
    rank = np.arange(row.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, row.shape[0]]))
    picked = rank < k
    row, pt, ref, rank = row[picked], pt[picked], ref[picked], rank[picked]
    width = max([tree.keys.dtype.itemsize // 4 + len(CHILD_PREFIX), *(b.dtype.itemsize // 4 for b in base), 1])
    labels = np.empty(row.shape[0], dtype=f"<U{width}")
    child = ref >= 0
    labels[child] = np.char.add(CHILD_PREFIX, tree.keys[ref[child]])
    for j, names_j in enumerate(base):
        own = ref == -1 - j
        labels[own] = names_j[row[own]]
    out_names, out_points = [], []
    for j in range(k):
        names_j = np.asarray(base[j], dtype=f"<U{width}") if j < len(base) else np.full(n, "", dtype=f"<U{width}")
        points_j = base_points[j].copy() if j < len(base) else np.zeros(n)
        names_j[parents] = ""
        points_j[parents] = 0.0
        pick = rank == j
        names_j[row[pick]] = labels[pick]
        points_j[row[pick]] = pt[pick]
        out_names.append(names_j)
        out_points.append(points_j)
    return tuple(out_names), tuple(out_points)


def _tiers(model: HealthModel | SegmentedModel, scored: BatchScores, score: Any) -> tuple[Any, Any]:
    """Band and alert codes of the rolled-up scores, by the policies of the
    model that scored each account."""
    mod = _model()
    single = _single(model)
    if single is not None:
        return single.bands.codes(score).astype(np.int8), single.alerts.codes(score).astype(np.int8)
    assert _segmented(model)
    band = np.full(score.shape[0], -1, dtype=np.int8)
    alert = np.full(score.shape[0], -1, dtype=np.int8)
    if scored.segment is None or score.shape[0] == 0:
        return band, alert
    models, groups, inverse = mod._group_by_model(model, scored.segment)
    for m_idx, codes in groups.items():
        sub = models[m_idx]
        rows = np.flatnonzero(np.isin(inverse, codes))
        band[rows] = mod._recode(sub.bands.codes(score[rows]), sub.bands.names, scored.band_names)
        alert[rows] = mod._recode(sub.alerts.codes(score[rows]), sub.alerts.names, scored.alert_names)
    return band, alert


def roll_up(
    model: HealthModel | SegmentedModel,
    scored: BatchScores,
    tree: Tree,
    *,
    weights: Any = None,
    drivers: int | None = None,
) -> RolledScores:
    """Roll ``scored`` (the model's scores, one per row of ``tree``) up the tree.

    Bottom-up, one NumPy step per level: each parent's score is the policy
    (:func:`policy_of`) over its children's rolled-up scores, blended with its
    own by ``own_weight``; children without a score are left out (their
    coverage still counts). Band and alert follow from the rolled-up score by
    the model's band and alert policies; coverage rolls up with the policy's
    weights; the drivers of a parent are its costliest children
    (``child:<id>``, points = the child's share of the parent's score times its
    points below 100) and own metrics (their points times ``own_weight``), so a
    parent's drivers add up to what it lacks of 100 like an account's do.

    Args:
        model: The model that scored the accounts (its roll-up, band and alert
            policies).
        scored: The model's scores of the tree's accounts, in row order.
        tree: The tree (:func:`build_tree`).
        weights: Each account's ARR (the policy's ``weight_column``); needed
            by ``"arr_mean"``.
        drivers: How many drivers each account names (default: as many as
            ``scored`` has; a parent's children may outnumber the model's
            metrics, which bound ``scored``'s).

    Raises:
        InputError: ``"arr_mean"`` without weights, a negative or infinite
            ARR, or (``missing_weight="error"``) a child without ARR.
    """
    mod = _model()
    policy = policy_of(model)
    n = len(tree)
    if len(scored) != n:
        raise InputError(f"{len(scored)} scores for a tree of {n} accounts")
    own = np.asarray(mod.to_numpy(scored.score), dtype=np.float64)
    own_cover = np.asarray(mod.to_numpy(scored.coverage), dtype=np.float64)
    w = _read_weights(policy, weights, n)
    score, cover, own_share, kid_points = _roll_arrays(policy, tree, own, own_cover, w)
    band, alert = _tiers(model, scored, score)
    k = len(scored.drivers) if drivers is None else drivers
    if k < len(scored.drivers):
        raise ValidationError("drivers", f"must be at least the {len(scored.drivers)} drivers scored", drivers)
    top, lost = _drivers(tree, scored, own_share, kid_points, k)
    dtype = np.asarray(mod.to_numpy(scored.score)).dtype
    rolled = attrs.evolve(
        scored,
        score=score.astype(dtype, copy=False),
        coverage=cover,
        band_codes=band,
        alert_codes=alert,
        drivers=top,
        points_lost=lost,
    )
    return RolledScores(scores=rolled, own_score=own.astype(dtype, copy=False), tree=tree)


# --------------------------------------------------------------------------- from a table


_SCORE_OPTIONS = ("metric_scores", "drivers", "missing_columns", "dimensions", "threads", "precision")


def _read(
    model: HealthModel | SegmentedModel, data: Any, id_column: str, parent_column: str
) -> tuple[Any, Any, Any, Mapping[str, Any]]:
    """(ids, parents, weights or None, the columns to score) of ``data``."""
    policy = policy_of(model)
    wanted = list(model.metric_names)
    if _segmented(model):
        wanted.append(model.segment_column)
    extra = [id_column, parent_column] + ([policy.weight_column] if policy.weighs_by_arr else [])
    family = family_of(data)
    labels = {n for n in wanted if n not in _numeric_metrics(model)} | {id_column, parent_column}
    columns = table_columns(data, [*wanted, *extra], labels=labels, whole={id_column})
    if family != "mapping" and parent_column in columns:
        numeric = table_columns(data, [parent_column])  # a numeric parent column comes as float64, NaN for gaps
        if np.asarray(numeric[parent_column]).dtype.kind == "f":
            columns[parent_column] = numeric[parent_column]
    for name in (id_column, parent_column):
        if name not in columns:
            raise InputError(f"missing column {name!r}: a hierarchy needs each account's id and parent", column=name)
    ids = columns.pop(id_column)
    parents = columns.pop(parent_column)
    weights = columns.pop(policy.weight_column, None) if policy.weighs_by_arr else None
    if weights is not None and policy.weight_column in model.metric_names:
        columns[policy.weight_column] = weights  # ARR is also a metric
    return ids, parents, weights, columns


def _numeric_metrics(model: HealthModel | SegmentedModel) -> set[str]:
    single = _single(model)
    if single is not None:
        return {n for n, metric in single.metrics.items() if metric.input_kind == "numeric"}
    assert _segmented(model)
    models = [m for _, m in model.segments]
    if model.default is not None:
        models.append(model.default)
    return {n for m in models for n, metric in m.metrics.items() if metric.input_kind == "numeric"}


def score_batch(
    model: HealthModel | SegmentedModel,
    data: Any,
    *,
    id_column: str = "account_id",
    parent_column: str = PARENT_COLUMN,
    on_bad_rows: BadRows = "error",
    **options: Any,
) -> RolledScores:
    """Score every account of ``data`` and roll parents up.

    Args:
        model: The model (its :attr:`rollup`, default ARR-weighted mean).
        data: The accounts, as :func:`~healthscore.score_portfolio` reads them,
            with an id column, a parent column and (``"arr_mean"``) the ARR column.
        id_column: The ids.
        parent_column: Each account's parent id (empty at the top).
        on_bad_rows: What a bad link does (see :func:`build_tree`).
        **options: ``metric_scores``, ``drivers``, ``missing_columns``,
            ``dimensions``, ``threads``, ``precision``: as for ``score_batch``.

    Returns:
        The :class:`RolledScores`.
    """
    unknown = sorted(set(options) - set(_SCORE_OPTIONS))
    if unknown:
        raise ValidationError("options", f"must be among {', '.join(_SCORE_OPTIONS)}", unknown)
    ids, parents, weights, columns = _read(model, data, id_column, parent_column)
    tree = build_tree(ids, parents, column=parent_column, on_bad_rows=on_bad_rows, id_column=id_column)
    scored = model.score_batch(columns, **options)
    rolled = roll_up(model, scored, tree, weights=weights, drivers=max(len(scored.drivers), options.get("drivers", 0)))
    return attrs.evolve(rolled, ids=ids)


def _take_column(values: Any, rows: Any) -> Any:
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    return arr[rows]


def score_account(
    model: HealthModel | SegmentedModel,
    data: Any,
    account_id: Any,
    *,
    id_column: str = "account_id",
    parent_column: str = PARENT_COLUMN,
    drivers: int = 3,
    missing_columns: Literal["error", "missing"] = "error",
) -> AccountRollUp:
    """One account's rolled-up score: the code of :func:`score_batch` on the
    account's subtree only (it and its descendants), so both paths agree.

    Args:
        model: The model.
        data: The accounts table (as for :func:`score_batch`).
        account_id: The account.
        id_column: The ids.
        parent_column: The parents.
        drivers: How many drivers to name.
        missing_columns: As for ``score_batch``.

    Raises:
        InputError: ``account_id`` is no account of ``data``, or the table has
            a bad link (every link is checked: the account's place depends on them).

    Examples:
        >>> from healthscore import presets
        >>> one = score_account(presets.dear(), {
        ...     "account_id": ["group", "eu", "us"], "parent_id": [None, "group", "group"],
        ...     "arr": [0.0, 30000.0, 10000.0], "deployment": [0.9, 1.0, 0.2],
        ... }, "group", missing_columns="missing")
        >>> round(one.score, 1), one.children, one.drivers[0][0]
        (81.7, ('eu', 'us'), 'child:us')
    """
    ids, parents, weights, columns = _read(model, data, id_column, parent_column)
    tree = build_tree(ids, parents, column=parent_column, id_column=id_column)
    key, _ = _keys(np.asarray([account_id], dtype=object), id_column, ids=True)
    hit = np.flatnonzero(tree.keys == key[0])
    if hit.size == 0:
        raise InputError(f"unknown account_id {account_id!r}", column=id_column, value=account_id)
    row = int(hit[0])
    rows = tree.subtree(row)
    sub = tree.take(rows)
    sub_columns = {k: _take_column(v, rows) for k, v in columns.items()}
    scored = model.score_batch(sub_columns, drivers=drivers, missing_columns=missing_columns)
    sub_weights = None if weights is None else _take_column(weights, rows)
    rolled = roll_up(model, scored, sub, weights=sub_weights, drivers=max(drivers, len(scored.drivers)))
    return _one(rolled, tree, row, int(np.flatnonzero(rows == row)[0]))


def _one(rolled: RolledScores, tree: Tree, row: int, at: int) -> AccountRollUp:
    scores = rolled.scores
    score = float(scores.score[at])
    own = float(rolled.own_score[at])
    parent = int(tree.parent[row])
    children = tuple(str(k) for k in tree.keys[np.flatnonzero(tree.parent == row)])
    drivers = tuple(
        (str(names[at]), float(points[at]))
        for names, points in zip(scores.drivers, scores.points_lost, strict=True)
        if str(names[at])
    )
    band, alert = str(scores.band[at]), str(scores.alert[at])
    return AccountRollUp(
        account_id=str(tree.keys[row]),
        parent_id=None if parent < 0 else str(tree.keys[parent]),
        level=int(tree.level[row]),
        score=None if math.isnan(score) else score,
        own_score=None if math.isnan(own) else own,
        band=band or None,
        alert=alert or None,
        coverage=float(scores.coverage[at]),
        children=children,
        drivers=drivers,
    )
