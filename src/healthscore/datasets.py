"""Built-in sample data: a synthetic portfolio for demos, docs and tests.

:func:`load_sample_portfolio` reads ``sample_portfolio.csv``, shipped with the
package: 300 synthetic accounts with every metric of
:func:`healthscore.presets.three_dimension`, a segment and an ARR. It was made by
:func:`generate_portfolio` (``python -m healthscore.datasets`` writes it again):
each account has a hidden health level, each metric is a noisy reading of it,
and about 4% of the cells are empty (missing).

Examples:
    >>> from healthscore.datasets import load_sample_portfolio
    >>> columns = load_sample_portfolio()
    >>> len(columns["account_id"]), columns["account_id"][0]
    (300, 'ACC-0001')
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from healthscore._io import csv_text, parse_csv
from healthscore.exceptions import InputError
from healthscore.exports import _numbers

__all__ = [
    "ADVANCED_FEATURES",
    "FEATURES",
    "INTEGRATIONS",
    "SAMPLE_PORTFOLIO",
    "SyntheticExports",
    "Table",
    "account_tree",
    "company_names",
    "csm_reads",
    "generate_driver_portfolio",
    "generate_export_blocks",
    "generate_exports",
    "generate_portfolio",
    "load_sample_portfolio",
    "portfolio_to_csv",
    "write_exports",
]

SAMPLE_PORTFOLIO = "sample_portfolio.csv"
"""File name of the shipped sample portfolio, inside ``healthscore/data``."""

_CATEGORY_COLUMNS = ("account_id", "segment", "executive_engagement", "budget_trend")


def generate_portfolio(n: int = 300, seed: int = 7, missing_share: float = 0.04) -> dict[str, Any]:
    """Make ``n`` synthetic accounts with the metrics of ``three_dimension()``.

    Args:
        n: Number of accounts.
        seed: Random seed; the same seed gives the same portfolio.
        missing_share: Share of metric cells left empty.

    Returns:
        Column name -> list (``account_id``, ``segment``, ``arr``, then the metrics;
        missing cells are ``None``).

    Examples:
        >>> cols = generate_portfolio(5, seed=1)
        >>> sorted(cols)[:3]
        ['account_id', 'active_days', 'arr']
    """
    rng = np.random.default_rng(seed)
    health = rng.beta(3.2, 1.8, n)  # hidden health level in 0..1, most accounts fairly healthy

    def noisy(scale: float = 0.15) -> Any:
        return np.clip(health + rng.normal(0.0, scale, n), 0.0, 1.0)

    segment = rng.choice(["enterprise", "mid_market", "smb", "product_led"], n, p=[0.2, 0.3, 0.3, 0.2])
    seats = np.where(segment == "enterprise", 200, np.where(segment == "mid_market", 60, 15))
    arr = np.round(seats * rng.uniform(400, 1200, n), -2)
    exec_levels = np.array(["none", "aware", "annual", "quarterly"])
    budget_levels = np.array(["shrinking", "none", "stable", "growing"])
    cols: dict[str, Any] = {
        "account_id": [f"ACC-{i + 1:04d}" for i in range(n)],
        "segment": segment.tolist(),
        "arr": arr.tolist(),
        "active_days": np.round(30 * noisy() ** 1.3, 1),
        "days_since_last_login": np.round(60 * (1 - noisy()) ** 2.5),
        "feature_breadth": np.round(noisy(), 3),
        "feature_depth": np.round(0.5 * noisy() ** 1.5, 3),
        "penetration": np.round(noisy(), 3),
        "workflow_completion": np.round(noisy(), 3),
        "integrations": np.floor(5 * noisy(0.25)),
        "power_users": np.floor(6 * noisy(0.2)),
        "executive_engagement": exec_levels[np.minimum((4 * noisy(0.25)).astype(int), 3)],
        "qbr_attendance": np.round(noisy(0.2), 2),
        "ticket_volume": np.round(np.abs(rng.normal(4 + 20 * (1 - health) ** 2, 2.5, n)), 1),
        "ticket_sentiment": np.round(2 * noisy(0.25) - 1, 2),
        "nps": np.round(200 * noisy(0.25) - 100),
        "csat": np.round(1 + 4 * noisy(0.2), 1),
        "response_hours": np.round(400 * (1 - noisy()) ** 2, 1),
        "champion": np.floor(4 * noisy(0.25) ** 2),
        "outcome_achievement": np.round(noisy(0.12), 2),
        "roi_multiple": np.round(5 * noisy(0.15) ** 1.2, 2),
        "budget_trend": budget_levels[np.minimum((4 * noisy(0.25)).astype(int), 3)],
        "expansion_talks": np.floor(4 * noisy(0.25) ** 2),
        "contract_months": rng.choice([1, 12, 24, 36], n, p=[0.2, 0.5, 0.15, 0.15]),
        "payment_delay_days": np.round(90 * (1 - noisy()) ** 3),
    }
    for name in list(cols)[3:]:
        values = np.asarray(cols[name]).tolist()
        hide = rng.random(n) < missing_share
        cols[name] = [None if h else v for v, h in zip(values, hide, strict=True)]
    return cols


def portfolio_to_csv(columns: dict[str, Any]) -> str:
    """Render columns (name -> list) as CSV text by the one CSV writer, ``None``
    as an empty cell.

    A column whose values are all numbers (or ``None``) is a number column,
    written as it is; any other column is text, each value written as its
    ``str``, and a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return gets a leading ``'`` (see ``_io.csv_text``).

    Examples:
        >>> print(portfolio_to_csv({"account_id": ["-5abc", "A2"], "nps": [-5, None]}), end="")
        account_id,nps
        '-5abc,-5
        A2,
    """
    names = list(columns)
    numbers = [c for c in names if all(v is None or isinstance(v, int | float | np.number) for v in columns[c])]
    cells = [columns[c] if c in numbers else [None if v is None else str(v) for v in columns[c]] for c in names]
    return csv_text(names, list(zip(*cells, strict=True)), numbers=numbers)


def load_sample_portfolio() -> dict[str, Any]:
    """The shipped sample portfolio: column name -> NumPy array.

    Numeric columns are float64 with NaN for missing cells; label columns are
    object arrays with ``None`` for missing cells.
    """
    data = resources.files("healthscore").joinpath("data", SAMPLE_PORTFOLIO).read_bytes()
    table = parse_csv(data, source=SAMPLE_PORTFOLIO)
    columns: dict[str, Any] = {}
    for name, cells in table.columns.items():
        if name in _CATEGORY_COLUMNS:
            columns[name] = np.array([c or None for c in cells.tolist()], dtype=object)
        else:
            numbers, bad = _numbers(cells)
            if bad.any():  # the shipped file is made by generate_portfolio: numbers or empty cells
                raise InputError(f"{SAMPLE_PORTFOLIO}: column {name!r} holds a cell that is not a number", column=name)
            columns[name] = numbers
    return columns


if __name__ == "__main__":  # pragma: no cover -- regenerates the shipped file
    target = (
        sys.argv[1] if len(sys.argv) > 1 else str(resources.files("healthscore").joinpath("data", SAMPLE_PORTFOLIO))
    )
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(portfolio_to_csv(generate_portfolio()))
    print(f"wrote {target}")


# --------------------------------------------------------------------------- synthetic exports

FEATURES = (
    "dashboard", "reports", "alerts", "search", "export", "sharing", "comments", "tasks",
    "calendar", "files", "custom_reports", "advanced_filters", "automation", "api", "admin",
)  # fmt: skip
"""Product features of the synthetic exports (the last five are advanced)."""

ADVANCED_FEATURES = ("custom_reports", "advanced_filters", "automation", "api", "admin")
"""Features the synthetic exports treat as advanced."""

INTEGRATIONS = ("integration:crm", "integration:warehouse", "integration:chat")
"""Integration features of the synthetic exports."""


Table: TypeAlias = dict[str, npt.NDArray[Any]]
"""One export table: column name -> array."""


@attrs.frozen(kw_only=True)
class SyntheticExports:
    """What :func:`generate_exports` makes: the raw exports and the truth behind them.

    Attributes:
        tables: Table name -> columns, for :func:`healthscore.exports.read_exports`
            or :func:`write_exports`: ``accounts``, ``events``, ``crm_activities``,
            ``invoices``, ``tickets``, ``surveys``, ``goals`` and ``value``.
            Timestamps are ``datetime64[s]`` arrays.
        churn: Ground truth for backtests: ``account_id`` and ``churn_date``
            (ISO dates) of every account that churned.
        health: The hidden health level, ``(n_accounts, days)`` in 0..1.
        start: First day, ISO date.
        end: Last day, ISO date: the natural scoring date.
    """

    tables: dict[str, Table]
    churn: dict[str, npt.NDArray[np.str_]]
    health: npt.NDArray[np.float64]
    start: str
    end: str


@attrs.frozen(kw_only=True)
class _Portfolio:
    """The hidden world the tables are readings of."""

    day0: np.datetime64
    ids: npt.NDArray[np.str_]
    segment: npt.NDArray[np.str_]
    seats: npt.NDArray[np.float64]
    arr: npt.NDArray[np.float64]
    term: npt.NDArray[np.int64]
    level: npt.NDArray[np.float64]
    health: npt.NDArray[np.float64]
    churn_day: npt.NDArray[np.int64]
    """Day index of each account's churn, -1 for none."""
    alive: npt.NDArray[np.bool_]
    """``(n, days)``: before the account's churn day."""

    @property
    def days(self) -> int:
        return int(self.health.shape[1])


def generate_exports(
    n_accounts: int = 300,
    days: int = 365,
    *,
    seed: int = 7,
    start: str = "2025-01-01",
    events_per_seat_day: float = 0.35,
    first_id: int = 1,
) -> SyntheticExports:
    """Realistic raw exports for ``n_accounts`` over ``days`` days, driven by a
    hidden per-account health process.

    Each account has a health level in 0..1 that drifts day by day (some
    accounts go through a decline). Health drives everything: logins, users,
    features and integrations, executive meetings and QBRs, ticket volume and
    sentiment, survey answers, goal progress, delivered value and payment delays.
    An account churns 30 days after its health has stayed below 0.3 for 21 days
    in a row; nothing happens for it after its churn date. The same arguments
    give the same tables. Account ids are ``A000001``, ``A000002``, ... from
    ``first_id``; the accounts table also has a ``name`` (:func:`company_names`),
    which :func:`~healthscore.exports.read_exports` does not read.

    Every table is held in memory at once: about 0.9 MB per account at the
    default event rate (some 2,200 product events per account and year). For
    more accounts, :func:`generate_export_blocks` makes them a block at a time.

    Returns:
        The tables, the churn ground truth and the hidden health
        (:class:`SyntheticExports`).

    Examples:
        >>> gen = generate_exports(20, 60, seed=1)
        >>> sorted(gen.tables)[:3], gen.end
        (['accounts', 'crm_activities', 'events'], '2025-03-01')
    """
    return _generate(np.random.default_rng(seed), n_accounts, days, start, events_per_seat_day, first_id, seed)


def generate_export_blocks(
    n_accounts: int,
    days: int = 365,
    *,
    seed: int = 7,
    block: int = 1000,
    start: str = "2025-01-01",
    events_per_seat_day: float = 0.35,
) -> Iterator[SyntheticExports]:
    """The exports of ``n_accounts`` made ``block`` accounts at a time, so that
    memory holds one block (about 0.9 MB per account of it), not the whole
    portfolio: signals are computed per account, so a caller reads, computes
    and drops each block in turn.

    The first block is ``generate_exports(min(n_accounts, block), days,
    seed=seed)`` itself; block ``k`` after it is a world of its own, seeded by
    ``(seed, k)``, with account ids that go on from the block before and its
    invoice and ticket ids prefixed ``B<k>-`` (``B3-INV-0``), so that every id is
    unique across the blocks. So up to ``block`` accounts this gives what
    :func:`generate_exports` gives.

    Examples:
        >>> blocks = list(generate_export_blocks(5, 30, seed=1, block=2))
        >>> [b.tables["accounts"]["account_id"].tolist() for b in blocks]
        [['A000001', 'A000002'], ['A000003', 'A000004'], ['A000005']]
    """
    if block < 1:
        raise InputError(f"block must be >= 1, got {block}")
    for k, first in enumerate(range(0, n_accounts, block)):
        rng = np.random.default_rng(seed if k == 0 else np.random.SeedSequence([seed, k]))
        size = min(block, n_accounts - first)
        gen = _generate(rng, size, days, start, events_per_seat_day, first + 1, seed)
        if k:  # each block numbers its invoices and tickets from 0: the block's prefix keeps them unique
            for table, key in (("invoices", "invoice_id"), ("tickets", "ticket_id")):
                gen.tables[table][key] = np.char.add(f"B{k}-", gen.tables[table][key])
        yield gen


def _generate(
    rng: np.random.Generator,
    n_accounts: int,
    days: int,
    start: str,
    events_per_seat_day: float,
    first_id: int,
    seed: int,
) -> SyntheticExports:
    world = _portfolio(rng, n_accounts, days, np.datetime64(start, "D"), first_id)
    tables = {
        "accounts": {**_accounts_table(world), "name": company_names(n_accounts, seed=seed, first_id=first_id)},
        "events": _events_table(world, rng, events_per_seat_day),
        "crm_activities": _crm_table(world, rng),
        "invoices": _invoices_table(world, rng),
        "tickets": _tickets_table(world, rng),
        "surveys": _surveys_table(world, rng),
        "goals": _goals_table(world, rng),
        "value": _value_table(world, rng),
    }
    churned = world.churn_day >= 0
    return SyntheticExports(
        tables=tables,
        churn={
            "account_id": world.ids[churned],
            "churn_date": (world.day0 + world.churn_day[churned].astype("timedelta64[D]")).astype(str),
        },
        health=world.health,
        start=start,
        end=str(world.day0 + np.timedelta64(days - 1, "D")),
    )


_NAME_STREAM = 0x6E616D65
"""Mixed into the seed of the names' own random stream ("name")."""

_EN_NAMES = (
    ("Northwind", "Blue Harbor", "Summit", "Cedar", "Ironwood", "Brightline", "Silver Creek", "Redwood",
     "Atlas", "Evergreen", "Harbor Point", "Lakeside", "Granite", "Maple Leaf", "Orion", "Pioneer"),
    ("Logistics", "Analytics", "Health", "Foods", "Robotics", "Media", "Energy", "Systems",
     "Labs", "Capital", "Retail", "Software"),
)  # fmt: skip
_JA_NAMES = (
    ("みらい", "さくら", "ひかり", "あおぞら", "青葉", "富士", "東西", "北斗",
     "大和", "栄光", "はるか", "光陽", "瑞穂", "朝日", "若葉", "つばさ"),
    ("テック", "物流", "システムズ", "フーズ", "製作所", "商事", "ソリューションズ", "ヘルスケア",
     "工業", "エナジー", "メディア", "ネットワークス"),
)  # fmt: skip
_EN_FORMS = ("{}", "{} Inc.", "{} Ltd.")
_JA_FORMS = ("株式会社{}", "{}株式会社", "合同会社{}")


def _name_space() -> list[str]:
    """Every synthetic company name, English and Japanese, in a fixed order."""
    english = [form.format(f"{a} {b}") for form in _EN_FORMS for a in _EN_NAMES[0] for b in _EN_NAMES[1]]
    japanese = [form.format(a + b) for form in _JA_FORMS for a in _JA_NAMES[0] for b in _JA_NAMES[1]]
    return english + japanese


def company_names(n: int, *, seed: int = 7, first_id: int = 1) -> npt.NDArray[np.str_]:
    """Plausible company names for ``n`` synthetic accounts: a mix of English
    ("Northwind Logistics") and Japanese ("株式会社みらいテック") names.

    The names come from a random stream of their own, seeded by ``seed`` and
    ``first_id``: the same arguments give the same names, and adding names to
    the synthetic exports changes no other value of them. Within one call no
    name repeats until the 1,152 combinations (half of them Japanese) are used up.

    Examples:
        >>> names = company_names(3, seed=7)
        >>> len(names), names.tolist() == company_names(3, seed=7).tolist()
        (3, True)
    """
    space = np.array(_name_space())
    rng = np.random.default_rng(np.random.SeedSequence([seed, first_id, _NAME_STREAM]))
    picks = [rng.permutation(space.size) for _ in range(-(-n // space.size))] if n > 0 else []
    order = np.concatenate(picks)[:n] if picks else np.array([], dtype=np.int64)
    return space[order]


_TREE_STREAM = 0x7EE
_READ_STREAM = 0x2EAD


def account_tree(account_ids: Sequence[str], *, share: float = 0.08, seed: int = 7) -> npt.NDArray[np.str_]:
    """Parent ids for a synthetic book of accounts: ``share`` of the accounts
    head a group of 2 to 5 subsidiaries, and one group head in four sits under
    another head (a holding), so the tree has up to three levels.

    The parent of an account that has none is ``""``. The links come from a
    random stream of their own (seeded by ``seed``), so adding a tree to the
    synthetic exports changes none of their values; every parent is one of
    ``account_ids`` and the tree has no cycle.

    Examples:
        >>> ids = [f"A{i:02d}" for i in range(40)]
        >>> parents = account_tree(ids, share=0.1, seed=1)
        >>> parents.tolist() == account_tree(ids, share=0.1, seed=1).tolist()
        True
        >>> all(p == "" or p in ids for p in parents)
        True
    """
    if not 0.0 <= share <= 0.25:
        raise InputError(f"share must be from 0 to 0.25 (a head has at least two subsidiaries), got {share}")
    ids = np.asarray([str(a) for a in account_ids], dtype=str)
    n = ids.size
    parents = np.full(n, "", dtype=ids.dtype if n else "<U1")
    rng = np.random.default_rng(np.random.SeedSequence([seed, _TREE_STREAM]))
    order = rng.permutation(n)
    heads = order[: round(share * n)]
    free = iter(order[heads.size :].tolist())
    for head in heads.tolist():
        for _ in range(int(rng.integers(2, 6))):
            child = next(free, None)
            if child is None:
                break
            parents[child] = ids[head]
    holdings = heads[: heads.size // 4 * 2 : 2]  # every other head of the first half: one head in four
    for holding, head in zip(holdings.tolist(), heads[1 : heads.size // 4 * 2 : 2].tolist(), strict=True):
        parents[head] = ids[holding]
    return parents


_READ_NOTES = {
    "red": ("Champion left; no sponsor since", "Budget review, renewal at risk", "Escalated outage last month"),
    "yellow": ("Adoption stalled in one team", "New stakeholder, still unsure", "Quiet since the QBR"),
    "green": ("Expanding to a second team", "Strong sponsor, QBR went well", "Asked about the new tier"),
}


def csm_reads(
    gen: SyntheticExports, *, share: float = 0.15, within_days: int = 56, seed: int = 7
) -> list[dict[str, str]]:
    """A customer-success manager's reads of ``share`` of the accounts of
    synthetic exports, on a day in the last ``within_days`` days before the
    end (or before the account churned): red when the hidden health that day
    is under 0.35, yellow under 0.6, green above, so a read knows what the
    exports only hint at. One read in ten is a colour off, as people are.

    Returns:
        One mapping per read: ``account_id``, ``rating`` (a colour),
        ``author``, ``as_of`` (ISO date) and ``note``, oldest first, the shape
        :meth:`~healthscore.history.HistoryStore.record_csm_read` takes.

    Examples:
        >>> reads = csm_reads(generate_exports(40, 90, seed=3), share=0.25, seed=3)
        >>> len(reads), {r["rating"] for r in reads} <= {"green", "yellow", "red"}
        (10, True)
    """
    if not 0.0 <= share <= 1.0 or within_days < 1:
        raise InputError(f"share must be from 0 to 1 and within_days at least 1, got {share} and {within_days}")
    ids = gen.tables["accounts"]["account_id"]
    n, days = gen.health.shape
    rng = np.random.default_rng(np.random.SeedSequence([seed, _READ_STREAM, n, days]))
    day0 = np.datetime64(gen.start, "D")
    churned = dict(zip(gen.churn["account_id"].tolist(), gen.churn["churn_date"].tolist(), strict=True))
    colours = ("red", "yellow", "green")
    reads = []
    for i in np.sort(rng.permutation(n)[: round(share * n)]).tolist():
        churn = churned.get(str(ids[i]))
        last = days - 1 if churn is None else min(days, int((np.datetime64(churn, "D") - day0).astype(int))) - 1
        if last < 0:
            continue
        day = int(rng.integers(max(0, last - within_days + 1), last + 1))
        health = float(gen.health[i, day])
        k = 0 if health < 0.35 else 1 if health < 0.6 else 2
        if rng.random() < 0.1:  # a read a colour off
            k = 1 if k != 1 else int(rng.choice([0, 2]))
        colour = colours[k]
        reads.append(
            {
                "account_id": str(ids[i]),
                "rating": colour,
                "author": f"csm{1 + int(rng.integers(0, 6))}",
                "as_of": str(day0 + np.timedelta64(day, "D")),
                "note": str(rng.choice(_READ_NOTES[colour])),
            }
        )
    return sorted(reads, key=lambda r: (r["as_of"], r["account_id"]))


def _portfolio(rng: np.random.Generator, n: int, t: int, day0: np.datetime64, first_id: int = 1) -> _Portfolio:
    """Accounts and their hidden health: a mean-reverting walk, with a decline
    for some accounts; churn 30 days after 21 days in a row below 0.3."""
    segment = rng.choice(["enterprise", "mid_market", "smb", "product_led"], n, p=[0.15, 0.3, 0.35, 0.2])
    seats = np.where(segment == "enterprise", 120, np.where(segment == "mid_market", 40, 8)) * rng.uniform(0.5, 1.5, n)
    seats = np.maximum(np.round(seats), 2)
    arr = np.round(seats * rng.uniform(300, 900, n), -2)
    term = rng.choice([1, 12, 24, 36], n, p=[0.2, 0.5, 0.15, 0.15])
    level = rng.beta(3.0, 1.6, n)
    decline_day = np.where(rng.random(n) < 0.25, rng.integers(t // 4, t, n), t + 1)
    target = np.where(np.arange(t)[None, :] >= decline_day[:, None], 0.1, level[:, None])
    noise = rng.normal(0.0, 0.03, (n, t))
    health = np.empty((n, t))
    h = level.copy()
    for d in range(t):  # over days, vectorised over accounts
        h = np.clip(h + 0.05 * (target[:, d] - h) + noise[:, d], 0.0, 1.0)
        health[:, d] = h
    churn_day = _churn_days(health)
    alive = np.arange(t)[None, :] < np.where(churn_day >= 0, churn_day, t + 1)[:, None]
    return _Portfolio(
        day0=day0,
        ids=np.array([f"A{first_id + i:06d}" for i in range(n)]),
        segment=segment,
        seats=seats,
        arr=arr,
        term=term,
        level=level,
        health=health,
        churn_day=churn_day,
        alive=alive,
    )


def _churn_days(health: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    low = health < 0.3
    run = np.zeros(health.shape[0], dtype=np.int64)
    churn_day = np.full(health.shape[0], -1, dtype=np.int64)
    for d in range(health.shape[1]):
        run = np.where(low[:, d], run + 1, 0)
        newly = (run >= 21) & (churn_day < 0)
        churn_day[newly] = d + 30
    return churn_day


def _stamp(
    world: _Portfolio, rng: np.random.Generator, day_idx: npt.NDArray[np.integer[Any]]
) -> npt.NDArray[np.datetime64]:
    """Timestamps on the given days, at a random second of working hours."""
    base = (world.day0 + day_idx.astype("timedelta64[D]")).astype("datetime64[s]")
    seconds = rng.integers(8 * 3600, 19 * 3600, day_idx.shape).astype("timedelta64[s]")
    stamps: npt.NDArray[np.datetime64] = base + seconds
    return stamps


def _per_month(
    world: _Portfolio, rng: np.random.Generator, mean: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(account, day) of a Poisson number of happenings per 30 days while alive."""
    per_day = np.asarray(mean)[:, None] / 30.0 * np.ones((1, world.days)) * world.alive
    c = rng.poisson(per_day)
    a, d = np.nonzero(c)
    return np.repeat(a, c[a, d]), np.repeat(d, c[a, d])


def _every(
    world: _Portfolio, first: int, step: int, repeat: int = 1
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(account, day) of every account alive on days ``first, first + step, ...``,
    each day ``repeat`` times in a row."""
    day = np.arange(first, world.days, step)
    n = world.ids.size
    acc = np.repeat(np.arange(n), day.size * repeat)
    day_all = np.tile(np.repeat(day, repeat), n)
    keep = world.alive[acc, day_all]
    return acc[keep], day_all[keep]


def _accounts_table(world: _Portfolio) -> Table:
    return {
        "account_id": world.ids,
        "segment": world.segment,
        "seats_purchased": world.seats,
        "arr": world.arr,
        "contract_term_months": world.term.astype(np.float64),
    }


def _events_table(world: _Portfolio, rng: np.random.Generator, events_per_seat_day: float) -> Table:
    """Product events: more, by more users, on more features when healthy."""
    health, seats = world.health, world.seats
    counts = rng.poisson(seats[:, None] * events_per_seat_day * health**1.5 * world.alive)
    acc_idx, day_idx = np.nonzero(counts)
    reps = counts[acc_idx, day_idx]
    e_acc = np.repeat(acc_idx, reps)
    e_day = np.repeat(day_idx, reps)
    e_h = health[e_acc, e_day]
    active_users = np.maximum(1, np.round(seats[e_acc] * (0.2 + 0.8 * e_h)))
    user = (rng.random(e_acc.size) ** 1.5 * active_users).astype(np.int64)
    breadth = 3 + np.round(e_h * (len(FEATURES) - 3)).astype(np.int64)
    feature_idx = (rng.random(e_acc.size) * breadth).astype(np.int64)
    feature = np.array(FEATURES)[feature_idx]
    integ = rng.random(e_acc.size) < 0.04 * e_h
    feature = np.where(integ, np.array(INTEGRATIONS)[(rng.random(e_acc.size) * 3 * e_h).astype(np.int64) % 3], feature)
    ids = world.ids
    return {
        "account_id": ids[e_acc],
        "user_id": np.char.add(np.char.add(ids[e_acc], "-u"), user.astype(str)),
        "timestamp": _stamp(world, rng, e_day),
        "feature": feature,
    }


_CRM_KINDS = (
    ("meeting", "operational"),
    ("meeting", "executive"),
    ("qbr", "executive"),
    ("qbr_cancelled", "executive"),
    ("email_out", "manager"),
    ("reference", "manager"),
    ("case_study", "manager"),
    ("expansion_talk", "manager"),
)
_EMAIL_OUT = 4
"""Index of ``email_out`` in :data:`_CRM_KINDS`: the outreach the replies answer."""


def _crm_table(world: _Portfolio, rng: np.random.Generator) -> Table:
    """Meetings, QBRs, outreach and advocacy; healthy accounts reply sooner."""
    level, n = world.level, world.ids.size
    means = (
        2.5 * level,
        0.4 * level**2,
        0.33 * level,
        0.33 * (1 - level),
        np.full(n, 4.0),
        0.08 * level**3,
        0.04 * level**3,
        0.5 * level**2,
    )
    happened = [_per_month(world, rng, mean) for mean in means]
    out_a, out_d = happened[_EMAIL_OUT]
    answered = rng.random(out_a.size) < 0.3 + 0.7 * world.health[out_a, out_d]
    delay = rng.exponential(2 * 3600 + (1 - world.health[out_a, out_d]) * 96 * 3600)
    out_t = _stamp(world, rng, out_d)
    reply_t = out_t[answered] + delay[answered].astype("timedelta64[s]")
    times = [out_t if i == _EMAIL_OUT else _stamp(world, rng, d) for i, (_, d) in enumerate(happened)]
    sizes = [a.size for a, _ in happened]
    return {
        "account_id": world.ids[np.concatenate([a for a, _ in happened] + [out_a[answered]])],
        "timestamp": np.concatenate([*times, reply_t]),
        "kind": np.concatenate(
            [np.full(s, kind) for s, (kind, _) in zip(sizes, _CRM_KINDS, strict=True)]
            + [np.full(reply_t.size, "email_reply")]
        ),
        "persona": np.concatenate(
            [np.full(s, persona) for s, (_, persona) in zip(sizes, _CRM_KINDS, strict=True)]
            + [np.full(reply_t.size, "manager")]
        ),
    }


def _invoices_table(world: _Portfolio, rng: np.random.Generator) -> Table:
    """Monthly invoices, paid later when health is low (unpaid: ``NaT``)."""
    t = world.days
    i_acc, i_day = _every(world, 0, 30)
    late = rng.exponential(1 + 40 * (1 - world.health[i_acc, i_day]) ** 2)
    paid_day = i_day + np.round(late).astype(np.int64)
    paid = np.where(paid_day < t, _stamp(world, rng, np.minimum(paid_day, t - 1)), np.datetime64("NaT"))
    return {
        "account_id": world.ids[i_acc],
        "invoice_id": np.char.add("INV-", np.arange(i_acc.size).astype(str)),
        "due_date": (world.day0 + i_day.astype("timedelta64[D]")).astype("datetime64[s]"),
        "paid_date": paid.astype("datetime64[s]"),
        "amount": np.round(world.arr[i_acc] / 12, 2),
    }


def _tickets_table(world: _Portfolio, rng: np.random.Generator) -> Table:
    """Tickets in proportion to seats; sentiment follows health."""
    t_acc, t_day = _per_month(world, rng, world.seats / 10 * 1.5 + 2)
    t_h = world.health[t_acc, t_day]
    opened_at = _stamp(world, rng, t_day)
    return {
        "account_id": world.ids[t_acc],
        "ticket_id": np.char.add("T-", np.arange(t_acc.size).astype(str)),
        "opened_at": opened_at,
        "sentiment": np.round(np.clip(rng.normal(1.6 * t_h - 0.8, 0.3), -1, 1), 3),
    }


def _surveys_table(world: _Portfolio, rng: np.random.Generator) -> Table:
    """NPS (0..10) and CSAT (1..5) answers that follow health."""
    s_acc, s_day = _per_month(world, rng, np.maximum(world.seats / 20, 0.3))
    s_h = world.health[s_acc, s_day]
    nps_kind = rng.random(s_acc.size) < 0.6
    value = np.where(
        nps_kind,
        np.clip(np.round(rng.normal(10 * s_h, 1.5)), 0, 10),
        np.clip(np.round(rng.normal(1 + 4 * s_h, 0.7)), 1, 5),
    )
    return {
        "account_id": world.ids[s_acc],
        "respondent": np.char.add("r", np.arange(s_acc.size).astype(str)),
        "timestamp": _stamp(world, rng, s_day),
        "kind": np.where(nps_kind, "nps", "csat"),
        "value": value,
    }


def _goals_table(world: _Portfolio, rng: np.random.Generator) -> Table:
    """Two goals per account, progress read every 90 days."""
    g_acc, g_day = _every(world, 0, 90, repeat=2)  # pairs: adoption, then savings
    actual = np.round(np.clip(rng.normal(110 * world.health[g_acc, g_day], 10), 0, None), 1)
    return {
        "account_id": world.ids[g_acc],
        "goal": np.tile(np.array(["adoption", "savings"]), g_acc.size // 2),
        "target": np.full(g_acc.size, 100.0),
        "actual": actual,
        "timestamp": _stamp(world, rng, g_day),
    }


def _value_table(world: _Portfolio, rng: np.random.Generator) -> Table:
    """Value delivered each month, in proportion to ARR and health squared."""
    v_acc, v_day = _every(world, 15, 30)
    return {
        "account_id": world.ids[v_acc],
        "timestamp": _stamp(world, rng, v_day),
        "value_delivered": np.round(world.arr[v_acc] / 12 * 4 * world.health[v_acc, v_day] ** 2, 2),
    }


def write_exports(tables: dict[str, dict[str, Any]], folder: str | Path) -> list[Path]:
    """Write export tables as ``<table>.csv`` files (timestamps as ISO 8601 UTC
    text with ``Z``, empty cells for missing values), each file atomically."""
    from healthscore._io import write_atomic  # noqa: PLC0415 -- only needed when writing files

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns in tables.items():
        text_cols: dict[str, Any] = {}
        for col, values in columns.items():
            arr = np.asarray(values)
            if arr.dtype.kind == "M":
                iso = np.datetime_as_string(arr.astype("datetime64[s]"), unit="s")
                text_cols[col] = np.where(np.isnat(arr), "", np.char.add(iso, "Z"))
            else:
                text_cols[col] = arr
        path = target / f"{name}.csv"
        write_atomic(path, portfolio_to_csv({k: np.asarray(v).tolist() for k, v in text_cols.items()}))
        written.append(path)
    return written


def generate_driver_portfolio(n_accounts: int = 5000, *, seed: int = 11, base_rate: float = 0.15) -> dict[str, Any]:
    """A portfolio whose churn follows known drivers, to check that fitting
    weights recovers them.

    Six metrics in two dimensions, each scored linearly from 0..1 to 0..100.
    Churn is drawn from ``logit P = a + 8 * sum_m true_share_m * (100 - s_m) / 100``
    with true shares ``usage`` 40%, ``adoption`` 20%, ``nps`` 30%,
    ``meetings`` 10% and 0% for ``noise_product`` and ``noise_relationship``;
    about 5% of values are missing. The model handed back weighs every metric
    equally: the expert's first guess.

    Returns:
        ``{"model": HealthModel, "columns": {metric: values}, "churned": 0/1
        array, "true_shares": {metric: share}}``.
    """
    from healthscore.model import Dimension, HealthModel, Metric  # noqa: PLC0415 -- datasets imports lazily
    from healthscore.scorers import Piecewise  # noqa: PLC0415 -- datasets imports lazily

    true_shares = {
        "usage": 0.4, "adoption": 0.2, "noise_product": 0.0,
        "nps": 0.3, "meetings": 0.1, "noise_relationship": 0.0,
    }  # fmt: skip
    rng = np.random.default_rng(seed)
    columns = {name: rng.uniform(0.0, 1.0, n_accounts) for name in true_shares}
    risk = sum(share * (1.0 - columns[name]) for name, share in true_shares.items())
    logit = 8.0 * risk
    shift = np.log(base_rate / (1 - base_rate)) - float(np.median(logit))
    churned = (rng.random(n_accounts) < 1.0 / (1.0 + np.exp(-(logit + shift)))).astype(np.int64)
    for values in columns.values():
        values[rng.random(n_accounts) < 0.05] = np.nan
    linear = Piecewise(points=((0.0, 0.0), (1.0, 100.0)))
    model = HealthModel(
        name="drivers",
        dimensions=(
            Dimension(name="product", weight=50, metrics=tuple(
                Metric(name=m, scorer=linear) for m in ("usage", "adoption", "noise_product"))),
            Dimension(name="relationship", weight=50, metrics=tuple(
                Metric(name=m, scorer=linear) for m in ("nps", "meetings", "noise_relationship"))),
        ),
    )  # fmt: skip
    return {"model": model, "columns": columns, "churned": churned, "true_shares": true_shares}
