"""The action queue: whom customer success should call first, and what to do.

:func:`action_queue` takes the latest scores (a :class:`~healthscore.model.BatchScores`
with drivers) and, optionally, the trends from the score history
(:func:`healthscore.trends.trends`) and each account's ARR. Accounts that need
action -- an alert level with a deadline (critical, at_risk, warning) or a drop
alert -- come back most urgent first:

1. alert level, one step more urgent for a drop alert (a fall of 20+ points
   within a month ranks an account at 65 above one stable at 60);
2. then a bigger fall from the peak within the drop window first;
3. then more ARR at stake first;
4. then the lower score first.

Each account's latest CSM read (:class:`~healthscore.history.CsmRead`) comes
with its action, with its disagreement with the band
(:func:`~healthscore.history.csm_disagreement`: steps on red / yellow / green,
positive where the CSM is more optimistic) and whether it is stale (older than
``stale_days``, default :data:`~healthscore.history.CSM_STALE_DAYS`). With
``rank_by="disagreement"`` the fresh reads furthest from their band come first
(then the order above), and an account whose fresh read disagrees with its
band joins the queue even when its alert level asks for nothing (due within
:data:`DISAGREEMENT_DUE_HOURS`): a CSM who calls a green account red is heard.

Each action carries its due date (the alert level's response time: critical
now, at_risk 48 hours, warning a week; a drop alert is due within 48 hours at
the latest), the band's playbook steps and the drivers that pulled the score
down.

In a tree of accounts (:mod:`healthscore.hierarchy`) a parent is ranked like
any account, on its rolled-up score and that score's trend: it joins the queue
when its roll-up falls into an alert level or drops. Its action lists its
worst children (``children``: the ``child:<id>`` drivers, by ARR at stake,
most first), and each child's action names its parent (``parent_id``).

Examples:
    >>> import numpy as np
    >>> from healthscore import presets
    >>> model = presets.dear()
    >>> scored = model.score_batch({"deployment": [0.9, 0.1, 0.45]}, missing_columns="missing", drivers=1)
    >>> [a.account_id for a in action_queue(model, ["a", "b", "c"], scored, "2026-06-30")]
    ['b', 'c']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, SupportsIndex, overload

import attrs
import numpy as np

from healthscore import _html, _time
from healthscore.config import AnyModel
from healthscore.exceptions import InputError, ValidationError
from healthscore.hierarchy import CHILD_PREFIX, RolledScores, build_tree
from healthscore.history import CSM_STALE_DAYS, CsmRead, HistoryStore, _policies_for, csm_disagreement
from healthscore.model import BatchScores, HealthModel
from healthscore.trends import DropRule, _for_accounts, trends

__all__ = [
    "DISAGREEMENT_DUE_HOURS",
    "DROP_DUE_HOURS",
    "RANK_BY",
    "Action",
    "ActionQueue",
    "LatestState",
    "RankBy",
    "action_queue",
    "latest_state",
    "queue_from_history",
]

DROP_DUE_HOURS = 48.0
"""Latest response time for an account with a drop alert."""

DISAGREEMENT_DUE_HOURS = 168.0
"""Response time for an account in the queue only for its CSM read
(``rank_by="disagreement"``): a week, the default warning level's."""

RankBy = Literal["urgency", "disagreement"]
"""The queue's orders (:data:`RANK_BY`)."""
RANK_BY: tuple[RankBy, ...] = ("urgency", "disagreement")
"""The queue's orders: by urgency (the default), or the CSM's disagreement first."""


@attrs.frozen(kw_only=True)
class Action:
    """One account that needs action.

    Attributes:
        account_id: The account.
        score, band, alert: Its latest score, band and alert level.
        drop_alert: Whether its score fell by the drop rule's points or more
            from its peak within the rule's window (default: 20 within a
            calendar month, :class:`~healthscore.trends.DropRule`).
        change_30: Its change over 30 days (NaN when unknown).
        arr: Its ARR (NaN when unknown).
        due: When someone must act (ISO 8601, UTC).
        response: The alert level's response, in words.
        playbook: The band's playbook steps.
        drivers: The metrics that cost it most points.
        reason: Why it is in the queue, in one line.
        csm_read: The account's latest CSM read on or before the queue's
            date (``None``: none).
        csm_stale: Whether that read is older than the queue's ``stale_days``.
        disagreement: The read's colour minus the band's, in steps of red /
            yellow / green (:func:`~healthscore.history.csm_disagreement`;
            positive: the CSM is more optimistic); ``None`` without a read.
        parent_id: The account's parent in a tree of accounts (``None``: a
            top-level account, or scores without a tree).
        children: For a parent, the children that pull its rolled-up score
            down most, by ARR at stake, most first (its ``child:<id>``
            drivers); empty for an account without children.
        subtree_arr: The ARR of the account and every account under it in
            the tree (its own ARR without children or without a tree): what a
            parent's rolled-up score puts at stake, and what the queue ranks
            a parent by.
        fallen: With a drop alert, the points the score fell from its peak
            (NaN without one).
        drop_since: With a drop alert, the day of that peak (ISO date; ``""``
            without one or when unknown).
    """

    account_id: str
    score: float
    band: str
    alert: str
    drop_alert: bool
    change_30: float
    arr: float
    due: str
    response: str
    playbook: tuple[str, ...]
    drivers: tuple[str, ...]
    reason: str
    csm_read: CsmRead | None = None
    csm_stale: bool = False
    disagreement: int | None = None
    parent_id: str | None = None
    children: tuple[str, ...] = ()
    subtree_arr: float = attrs.field(default=math.nan, eq=False)
    fallen: float = attrs.field(default=math.nan, eq=False)
    drop_since: str = ""


def _as_of(value: Any) -> datetime:
    """The instant due times count from (a date: its start), in UTC."""
    return datetime.fromtimestamp(_time.parse_instant(value, "as_of").seconds, UTC)


def action_queue(
    model: HealthModel,
    account_ids: Sequence[Any] | Any,
    scores: BatchScores | RolledScores,
    as_of: Any,
    *,
    trend: Mapping[str, Any] | None = None,
    arr: Sequence[float] | Any | None = None,
    csm_reads: Mapping[str, CsmRead] | Iterable[CsmRead] | None = None,
    rank_by: RankBy = "urgency",
    stale_days: float = CSM_STALE_DAYS,
) -> ActionQueue:
    """The accounts that need action, most urgent first.

    Args:
        model: The model that scored them (its band and alert policies).
        account_ids: One id per account, in ``scores`` order.
        scores: Latest scores (``score_batch(..., drivers=k)`` for drivers),
            or a tree's (:func:`healthscore.hierarchy.roll_up`): parents are
            ranked on their rolled-up scores and name their worst children.
        as_of: The scoring date: due dates count from it.
        trend: Output of :func:`healthscore.trends.trends` for these accounts
            (matched by ``account_id``); gives drop alerts and 30-day changes.
        arr: ARR per account, in ``scores`` order.
        csm_reads: The CSM's reads (by account, or a list: the latest of
            each account counts), e.g. ``store.csm_reads(as_of=day, latest=True)``.
        rank_by: ``"urgency"`` (default) or ``"disagreement"`` (see the module docstring).
        stale_days: A read older than this on ``as_of`` is stale: shown, never ranked on.

    Raises:
        ValidationError: An unknown ``rank_by``.
    """
    ids = [str(a) for a in np.asarray(account_ids, dtype=object).tolist()]
    parents: list[str | None] | None = None
    if isinstance(scores, RolledScores):
        if len(scores) != len(ids):
            raise InputError(f"account_ids has {len(ids)} entries but the scores hold {len(scores)} accounts")
        parents = [None if p is None else str(p) for p in scores.parent_values(ids).tolist()]
        scores = scores.scores
    n = len(scores)
    if len(ids) != n:
        raise InputError(f"account_ids has {len(ids)} entries but the scores hold {n} accounts")
    money = np.full(n, math.nan) if arr is None else np.asarray(arr, dtype=np.float64)
    if money.shape != (n,):
        raise InputError(f"arr must hold one value per account ({n}), got shape {money.shape}")
    drivers = [tuple(str(d[i]) for d in scores.drivers if str(d[i])) for i in range(n)]
    return _rank(
        ids=ids,
        score=np.asarray(scores.score, dtype=np.float64),
        band=scores.band,
        alert=scores.alert,
        drivers=drivers,
        arr=money,
        trend=trend,
        as_of=as_of,
        policies=lambda _i: model,
        reads=_reads_by_account(csm_reads),
        rank_by=rank_by,
        stale_days=stale_days,
        parents=parents,
    )


def queue_from_history(
    store: HistoryStore,
    as_of: Any = None,
    *,
    model: AnyModel | str | None = None,
    drop: DropRule | None = None,
    rank_by: RankBy = "urgency",
    stale_days: float = CSM_STALE_DAYS,
) -> ActionQueue:
    """The action queue from a history store: the latest snapshot at or before
    ``as_of`` (default: the latest), with trends and drop alerts (``drop``,
    default :class:`~healthscore.trends.DropRule`: 20 points within a calendar
    month) from that model version's history, manual overrides applied (a
    band override brings the alert its band implies), and the ARR and drivers
    stored with the snapshot. Playbooks and response times come from the
    stored model (each account's segment model for segmented ones). Each
    action carries the account's latest CSM read (on or before ``as_of``;
    without it, the latest of all) and its disagreement with the band; ``rank_by`` and ``stale_days``
    as in :func:`action_queue`.

    Returns:
        The accounts that need action, most urgent first (empty without history).
    """
    state = latest_state(store, as_of, model=model, drop=drop)
    return ActionQueue() if state is None else state.queue(rank_by=rank_by, stale_days=stale_days)


@attrs.frozen(kw_only=True)
class LatestState:
    """What the action queue and the dashboard read from a history store: the
    latest snapshot at or before a date, its model version's trends and the
    stored model.

    Attributes:
        latest: The snapshot's columns (:meth:`HistoryStore.snapshot_columns`).
        version: Its model version (fingerprint).
        day: The date trends and due dates count from.
        model: The stored model of that version.
        trend: :func:`healthscore.trends.trends` of that version's history.
        drop: The drop rule used.
        reads: The latest CSM read of each account: on or before the date
            asked for, or, for the latest snapshot, the latest of all (a read
            made today shows beside last night's scores).
    """

    latest: dict[str, Any]
    version: str
    day: str
    model: AnyModel
    trend: dict[str, Any]
    drop: DropRule
    reads: dict[str, CsmRead] = attrs.field(factory=dict)

    def policies(self, i: int) -> HealthModel:
        """The model whose bands, alerts and playbooks apply to account ``i``."""
        return _policies_for(self.model, str(self.latest["segment"][i]) or None)

    def queue(self, *, rank_by: RankBy = "urgency", stale_days: float = CSM_STALE_DAYS) -> ActionQueue:
        """The accounts that need action, most urgent first (``rank_by`` and
        ``stale_days`` as in :func:`action_queue`)."""
        latest = self.latest
        return _rank(
            ids=[str(a) for a in latest["account_id"].tolist()],
            score=latest["score"],
            band=latest["band"],
            alert=latest["alert"],
            drivers=latest["drivers"].tolist(),
            arr=latest["arr"],
            trend=self.trend,
            as_of=self.day,
            policies=self.policies,
            reads=self.reads,
            rank_by=rank_by,
            stale_days=stale_days,
            parents=[str(p) or None for p in latest["parent_id"].tolist()] if "parent_id" in latest else None,
        )


def latest_state(
    store: HistoryStore,
    as_of: Any = None,
    *,
    model: AnyModel | str | None = None,
    drop: DropRule | None = None,
) -> LatestState | None:
    """The latest snapshot at or before ``as_of`` (default: the latest) of
    ``model`` (default: the latest snapshot's version), with that version's
    trends and stored model: the one read behind :func:`queue_from_history`
    and the dashboard (:mod:`healthscore.report`).

    Returns:
        The state, or ``None`` when no snapshot is that old.
    """
    latest = store.snapshot_columns(as_of, model=model)
    if len(latest["score"]) == 0:
        return None
    version = str(latest["model_version"][0])
    day = str(latest["as_of"][0]) if as_of is None else str(as_of)
    rule = drop or DropRule()
    today = _time.utc_day(day, "as_of")
    history = store.trend_columns(day, model=version, lookback_days=max(90.0, today - rule.first_day(today)))
    return LatestState(
        latest=latest,
        version=version,
        day=day,
        model=store.model(version),
        trend=trends(history, day, drop=rule),
        drop=rule,
        reads={r.account_id: r for r in store.csm_reads(as_of=as_of, latest=True)},
    )


@attrs.frozen(kw_only=True)
class _Trend:
    """The trend columns the queue reads, matched to its accounts."""

    drop: Any
    fallen: Any
    change: Any
    since: Any


def _matched_trend(trend: Mapping[str, Any] | None, ids: list[str]) -> _Trend:
    fills = {"drop_alert": False, "drop": 0.0, "change_30": math.nan, "peak_since": ""}
    matched = _for_accounts(trend if trend is not None else {"account_id": []}, ids, fills)
    return _Trend(
        drop=matched["drop_alert"].astype(np.bool_),
        fallen=matched["drop"].astype(np.float64),
        change=matched["change_30"].astype(np.float64),
        since=matched["peak_since"].astype(str),
    )


@attrs.frozen(kw_only=True)
class _Read:
    """An account's latest CSM read as the queue sees it."""

    read: CsmRead | None = None
    stale: bool = False
    disagreement: int | None = None

    @property
    def ranks(self) -> bool:
        """Whether it counts for ``rank_by="disagreement"``: fresh and not agreeing."""
        return self.read is not None and not self.stale and bool(self.disagreement)


def _read_of(read: CsmRead | None, model: HealthModel, band: str, day: str, stale_days: float) -> _Read:
    if read is None:
        return _Read()
    return _Read(
        read=read,
        stale=read.is_stale(day, stale_days),
        disagreement=csm_disagreement(read, model.bands, band),
    )


def _read_reason(found: _Read) -> str | None:
    """The queue's words for a read that disagrees with the band."""
    if found.read is None or not found.disagreement:
        return None
    steps = abs(found.disagreement)
    side = "optimistic" if found.disagreement > 0 else "pessimistic"
    stale = " (stale)" if found.stale else ""
    return f"CSM read {found.read.colour}{stale}: {steps} step{'s' if steps > 1 else ''} more {side} than the band"


def _reads_by_account(reads: Mapping[str, CsmRead] | Iterable[CsmRead] | None) -> Mapping[str, CsmRead]:
    """Reads by account: a mapping as given; a list keyed by account, the
    latest (by date, then recording) winning."""
    if reads is None:
        return {}
    if isinstance(reads, Mapping):
        return reads
    return {r.account_id: r for r in sorted(reads, key=lambda r: (r.as_of, r.recorded_at))}


def _children(drivers: Sequence[str]) -> tuple[str, ...]:
    """A parent's worst children: its ``child:<id>`` drivers, in order."""
    return tuple(d[len(CHILD_PREFIX) :] for d in drivers if d.startswith(CHILD_PREFIX))


def _tree_reasons(parent: str | None, children: tuple[str, ...]) -> list[str]:
    """The queue's words for an account's place in its tree."""
    out = [f"worst children by ARR at stake: {', '.join(children)}"] if children else []
    return [*out, f"child of {parent}"] if parent else out


def _rank(
    *,
    ids: list[str],
    score: Any,
    band: Any,
    alert: Any,
    drivers: Sequence[tuple[str, ...]],
    arr: Any,
    trend: Mapping[str, Any] | None,
    as_of: Any,
    policies: Callable[[int], HealthModel],
    reads: Mapping[str, CsmRead] | None = None,
    rank_by: RankBy = "urgency",
    stale_days: float = CSM_STALE_DAYS,
    parents: Sequence[str | None] | None = None,
) -> ActionQueue:
    """The one ranking of the queue (see the module docstring); ``rank_by``
    ``"disagreement"`` puts the fresh reads furthest from their band first and
    lets an account in for its read alone; ``parents`` (one per account,
    ``None`` at the top) names each action's parent, and a parent's ``child:``
    drivers its worst children."""
    if rank_by not in RANK_BY:
        raise ValidationError("rank_by", f"must be one of {', '.join(RANK_BY)}", rank_by)
    if isinstance(stale_days, bool) or not isinstance(stale_days, int | float) or not stale_days >= 0:  # NaN too
        raise ValidationError("stale_days", "must be a number of days >= 0", stale_days)
    start = _as_of(as_of)
    day = _time.utc_date(as_of, "as_of")
    t = _matched_trend(trend, ids)
    money = np.asarray(arr, dtype=np.float64)
    # a parent stakes its subtree's ARR: the tree of the stored links, checked as any tree is
    at_stake = money if parents is None else build_tree(ids, [p or "" for p in parents]).subtree_sum(money)
    known = reads or {}
    actions: list[tuple[tuple[float, ...], Action]] = []
    for i in range(len(ids)):
        name = str(alert[i])
        if not name or score[i] != score[i]:
            continue  # no score: nothing to rank (the data gap is its own task)
        model = policies(i)
        found = _read_of(known.get(ids[i]), model, str(band[i]), day, stale_days)
        code = model.alerts.names.index(name)
        level = model.alerts.levels[code]
        by_read = rank_by == "disagreement" and found.ranks
        hours = [h for h in (level.response_hours, DROP_DUE_HOURS if t.drop[i] else None) if h is not None]
        if not hours and by_read:
            hours = [DISAGREEMENT_DUE_HOURS]
        if not hours:
            continue
        reasons = [f"{level.name.replace('_', ' ')} (score {score[i]:.1f})"]  # in words, as the alert column
        if t.drop[i]:
            window = f"since {t.since[i]}" if t.since[i] else "in the drop window"
            reasons.append(f"dropped {t.fallen[i]:.0f} points from its peak {window}")
        reasons += [r for r in (_read_reason(found),) if r]
        parent = parents[i] if parents is not None else None
        children = _children(drivers[i])
        reasons += _tree_reasons(parent, children)
        action = Action(
            account_id=ids[i],
            score=float(score[i]),
            band=str(band[i]),
            alert=name,
            drop_alert=bool(t.drop[i]),
            change_30=float(t.change[i]),
            arr=float(arr[i]),
            due=(start + timedelta(hours=min(hours))).isoformat(),
            response=level.response,
            playbook=model.bands.get(str(band[i])).playbook if str(band[i]) in model.bands.names else (),
            drivers=tuple(drivers[i]),
            reason="; ".join(reasons),
            csm_read=found.read,
            csm_stale=found.stale,
            disagreement=found.disagreement,
            parent_id=parent,
            children=children,
            subtree_arr=float(at_stake[i]),
            fallen=float(t.fallen[i]) if t.drop[i] else math.nan,
            drop_since=str(t.since[i]) if t.drop[i] else "",
        )
        severity = code + (1 if t.drop[i] else 0)  # higher code = worse level; a drop counts one level worse
        stake = 0.0 if at_stake[i] != at_stake[i] else float(at_stake[i])
        urgency = (-severity, -float(t.fallen[i]), -stake, float(score[i]))
        first = (-abs(found.disagreement or 0) if found.ranks else 0,) if rank_by == "disagreement" else ()
        actions.append(((*first, *urgency), action))
    actions.sort(key=lambda item: item[0])
    return ActionQueue(a for _, a in actions)


class ActionQueue(list[Action]):
    """The action queue: a list of :class:`Action`, most urgent first (equal
    to a plain list of the same actions), that shows itself as a table in a
    notebook. A slice of it is an action queue too.

    Examples:
        >>> from healthscore import presets
        >>> model = presets.dear()
        >>> scored = model.score_batch({"deployment": [0.9, 0.1, 0.45]}, missing_columns="missing", drivers=1)
        >>> queue = action_queue(model, ["a", "b", "c"], scored, "2026-06-30")
        >>> queue == list(queue), type(queue[:1]).__name__
        (True, 'ActionQueue')
        >>> page = queue.to_html()
        >>> "Escalate to management now" in page, "即座の管理エスカレーション" in queue.to_html("ja")
        (True, True)
    """

    __slots__ = ()

    @overload
    def __getitem__(self, index: SupportsIndex) -> Action: ...
    @overload
    def __getitem__(self, index: slice) -> ActionQueue: ...
    def __getitem__(self, index: SupportsIndex | slice) -> Action | ActionQueue:
        """One action, or a slice of the queue as a queue."""
        if isinstance(index, slice):
            return ActionQueue(super().__getitem__(index))
        return super().__getitem__(index)

    def to_html(self, lang: str = "en") -> str:
        """The queue as an HTML table (needs Jinja2: the ``report`` extra):
        rank, account, score and band, alert level and drop alert, 30-day
        change, ARR, due time, response, playbook steps and drivers; band and
        alert names, responses and the default playbooks in ``lang``."""
        return _html.actions_html(self, lang=lang)

    def _repr_html_(self) -> str:
        """The notebook display: :meth:`to_html`, or one line per action without Jinja2."""
        return _html.notebook(self.to_html, lambda: _html.actions_text(self))
