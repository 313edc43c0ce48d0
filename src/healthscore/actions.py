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

Each action carries its due date (the alert level's response time: critical
now, at_risk 48 hours, warning a week; a drop alert is due within 48 hours at
the latest), the band's playbook steps and the drivers that pulled the score
down.

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
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, SupportsIndex, overload

import attrs
import numpy as np

from healthscore import _html, _time
from healthscore.config import AnyModel
from healthscore.exceptions import InputError
from healthscore.history import HistoryStore, _policies_for
from healthscore.model import BatchScores, HealthModel
from healthscore.trends import DropRule, _for_accounts, trends

__all__ = [
    "DROP_DUE_HOURS",
    "Action",
    "ActionQueue",
    "LatestState",
    "action_queue",
    "latest_state",
    "queue_from_history",
]

DROP_DUE_HOURS = 48.0
"""Latest response time for an account with a drop alert."""


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


def _as_of(value: Any) -> datetime:
    """The instant due times count from (a date: its start), in UTC."""
    return datetime.fromtimestamp(_time.parse_instant(value, "as_of").seconds, UTC)


def action_queue(
    model: HealthModel,
    account_ids: Sequence[Any] | Any,
    scores: BatchScores,
    as_of: Any,
    *,
    trend: Mapping[str, Any] | None = None,
    arr: Sequence[float] | Any | None = None,
) -> ActionQueue:
    """The accounts that need action, most urgent first.

    Args:
        model: The model that scored them (its band and alert policies).
        account_ids: One id per account, in ``scores`` order.
        scores: Latest scores (``score_batch(..., drivers=k)`` for drivers).
        as_of: The scoring date: due dates count from it.
        trend: Output of :func:`healthscore.trends.trends` for these accounts
            (matched by ``account_id``); gives drop alerts and 30-day changes.
        arr: ARR per account, in ``scores`` order.
    """
    ids = [str(a) for a in np.asarray(account_ids, dtype=object).tolist()]
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
    )


def queue_from_history(
    store: HistoryStore,
    as_of: Any = None,
    *,
    model: AnyModel | str | None = None,
    drop: DropRule | None = None,
) -> ActionQueue:
    """The action queue from a history store: the latest snapshot at or before
    ``as_of`` (default: the latest), with trends and drop alerts (``drop``,
    default :class:`~healthscore.trends.DropRule`: 20 points within a calendar
    month) from that model version's history, manual overrides applied (a
    band override brings the alert its band implies), and the ARR and drivers
    stored with the snapshot. Playbooks and response times come from the
    stored model (each account's segment model for segmented ones).

    Returns:
        The accounts that need action, most urgent first (empty without history).
    """
    state = latest_state(store, as_of, model=model, drop=drop)
    return ActionQueue() if state is None else state.queue()


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
    """

    latest: dict[str, Any]
    version: str
    day: str
    model: AnyModel
    trend: dict[str, Any]
    drop: DropRule

    def policies(self, i: int) -> HealthModel:
        """The model whose bands, alerts and playbooks apply to account ``i``."""
        return _policies_for(self.model, str(self.latest["segment"][i]) or None)

    def queue(self) -> ActionQueue:
        """The accounts that need action, most urgent first."""
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
    )


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
) -> ActionQueue:
    n = len(ids)
    start = _as_of(as_of)
    fills = {"drop_alert": False, "drop": 0.0, "change_30": math.nan, "peak_since": ""}
    matched = _for_accounts(trend if trend is not None else {"account_id": []}, ids, fills)
    drop = matched["drop_alert"].astype(np.bool_)
    fallen = matched["drop"].astype(np.float64)
    change = matched["change_30"].astype(np.float64)
    since = matched["peak_since"].astype(str)
    actions: list[tuple[tuple[float, ...], Action]] = []
    for i in range(n):
        name = str(alert[i])
        if not name or score[i] != score[i]:
            continue  # no score: nothing to rank (the data gap is its own task)
        model = policies(i)
        code = model.alerts.names.index(name)
        level = model.alerts.levels[code]
        if level.response_hours is None and not drop[i]:
            continue
        hours = [h for h in (level.response_hours, DROP_DUE_HOURS if drop[i] else None) if h is not None]
        severity = code + (1 if drop[i] else 0)  # higher code = worse level; a drop counts one level worse
        reasons = [f"{level.name} (score {score[i]:.1f})"]
        if drop[i]:
            window = f"since {since[i]}" if since[i] else "in the drop window"
            reasons.append(f"dropped {fallen[i]:.0f} points from its peak {window}")
        action = Action(
            account_id=ids[i],
            score=float(score[i]),
            band=str(band[i]),
            alert=name,
            drop_alert=bool(drop[i]),
            change_30=float(change[i]),
            arr=float(arr[i]),
            due=(start + timedelta(hours=min(hours))).isoformat(),
            response=level.response,
            playbook=model.bands.get(str(band[i])).playbook if str(band[i]) in model.bands.names else (),
            drivers=tuple(drivers[i]),
            reason="; ".join(reasons),
        )
        stake = 0.0 if arr[i] != arr[i] else float(arr[i])
        actions.append(((-severity, -fallen[i], -stake, float(score[i])), action))
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
