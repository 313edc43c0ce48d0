"""Synthetic data: the exports generator's result and its reproducibility."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from healthscore import hierarchy
from healthscore.datasets import SyntheticExports, account_tree, csm_reads, generate_export_blocks, generate_exports
from healthscore.exceptions import InputError
from healthscore.history import CsmRead

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


def test_account_tree_is_a_tree_of_at_most_three_levels() -> None:
    ids = [f"A{i:04d}" for i in range(1000)]
    parents = account_tree(ids, share=0.08, seed=3)
    tree = hierarchy.build_tree(ids, parents)  # no cycle, no unknown parent: build_tree would refuse them
    assert tree.depth == 3
    heads, counts = np.unique(parents[parents != ""], return_counts=True)
    assert heads.size == 80  # share of the accounts head a group
    holdings = {p for a, p in zip(ids, parents.tolist(), strict=True) if p and a in set(heads.tolist())}
    assert len(holdings) == 20  # one head in four sits under another head: 20 holdings of one head each
    assert counts.min() >= 2
    assert account_tree(ids, share=0.08, seed=3).tolist() == parents.tolist()
    assert account_tree(ids, share=0.08, seed=4).tolist() != parents.tolist()
    assert (account_tree(ids, share=0.0) == "").all()
    with pytest.raises(InputError, match=r"share must be from 0 to 0\.25"):
        account_tree(ids, share=0.5)


def test_csm_reads_follow_the_hidden_health_before_churn() -> None:
    gen = generate_exports(400, 180, seed=5)
    reads = csm_reads(gen, share=0.5, within_days=30, seed=5)
    assert len(reads) >= 150
    day0 = np.datetime64(gen.start, "D")
    churned = dict(zip(gen.churn["account_id"].tolist(), gen.churn["churn_date"].tolist(), strict=True))
    row = {a: i for i, a in enumerate(gen.tables["accounts"]["account_id"].tolist())}
    agree = 0
    for r in reads:
        CsmRead(account_id=r["account_id"], rating=r["rating"], author=r["author"], as_of=r["as_of"], note=r["note"])
        day = int((np.datetime64(r["as_of"], "D") - day0).astype(int))
        churn = churned.get(r["account_id"])
        end = 180 if churn is None else int((np.datetime64(churn, "D") - day0).astype(int))
        assert 0 <= day < min(180, end)  # before the account churned
        assert day >= min(180, end) - 30  # within the window
        health = gen.health[row[r["account_id"]], day]
        agree += r["rating"] == ("red" if health < 0.35 else "yellow" if health < 0.6 else "green")
    assert 0.8 < agree / len(reads) < 1.0  # one read in ten is a colour off
    assert [(r["as_of"], r["account_id"]) for r in reads] == sorted((r["as_of"], r["account_id"]) for r in reads)
    assert csm_reads(gen, share=0.5, within_days=30, seed=5) == reads
