"""Synthetic data: the exports generator's result and its reproducibility."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from healthscore.datasets import SyntheticExports, generate_export_blocks, generate_exports

TABLES = ("accounts", "events", "crm_activities", "invoices", "tickets", "surveys", "goals", "value")


def test_generate_exports_returns_a_frozen_typed_result() -> None:
    gen = generate_exports(20, 60, seed=1)
    assert isinstance(gen, SyntheticExports)
    assert tuple(gen.tables) == TABLES
    assert (gen.start, gen.end) == ("2025-01-01", "2025-03-01")
    assert gen.health.shape == (20, 60)
    assert ((gen.health >= 0) & (gen.health <= 1)).all()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        gen.end = "2025-12-31"  # type: ignore[misc]


def test_same_seed_same_tables_and_pinned_row_counts() -> None:
    """The tables depend on the seed only: benchmarks and docs quote their numbers."""
    first, again = generate_exports(20, 60, seed=1), generate_exports(20, 60, seed=1)
    for name in TABLES:
        assert list(first.tables[name]) == list(again.tables[name])
        for column, values in first.tables[name].items():
            np.testing.assert_array_equal(values, again.tables[name][column], err_msg=f"{name}.{column}")
    counts = {name: len(table["account_id"]) for name, table in first.tables.items()}
    assert counts == {
        "accounts": 20,
        "events": 7637,
        "crm_activities": 372,
        "invoices": 40,
        "tickets": 294,
        "surveys": 72,
        "goals": 40,
        "value": 40,
    }
    other = generate_exports(20, 60, seed=2)
    assert len(other.tables["events"]["account_id"]) != counts["events"]


def test_churn_truth_matches_the_hidden_health() -> None:
    gen = generate_exports(150, 300, seed=3)
    churned = set(gen.churn["account_id"].tolist())
    assert churned, "this seed has churned accounts"
    assert churned <= set(gen.tables["accounts"]["account_id"].tolist())
    dates = gen.churn["churn_date"].astype("datetime64[D]")
    assert (dates >= np.datetime64(gen.start) + np.timedelta64(50, "D")).all()  # 21 low days, then 30 more
    ids = gen.tables["accounts"]["account_id"]
    for account, date in zip(gen.churn["account_id"].tolist(), dates, strict=True):
        low = gen.health[ids.tolist().index(account)] < 0.3
        day = int((date - np.datetime64(gen.start, "D")).astype(int)) - 30
        assert low[day - 20 : day + 1].all()  # three weeks in a row below 0.3 before the notice
        events = gen.tables["events"]
        last = events["timestamp"][events["account_id"] == account]
        assert last.size == 0 or last.max() < date.astype("datetime64[s]")  # nothing after churn


def test_blocks_keep_invoice_and_ticket_ids_unique_across_blocks() -> None:
    blocks = list(generate_export_blocks(6, 60, seed=2, block=2))
    for table, key in (("invoices", "invoice_id"), ("tickets", "ticket_id")):
        ids = np.concatenate([b.tables[table][key] for b in blocks])
        assert len(set(ids.tolist())) == ids.size, table
    assert blocks[0].tables["invoices"]["invoice_id"][0] == "INV-0"  # the first block is generate_exports' own
