"""Where exports are read from: folders, part folders, globs, DuckDB database
files; bad rows across files; the database that holds them."""

from __future__ import annotations

import gc
import math
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from healthscore.datasets import generate_exports, write_exports
from healthscore.exceptions import InputError
from healthscore.exports import RejectedRow, read_exports
from healthscore.signals import SIGNAL_NAMES, compute_signals, signals_for_account

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb = pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def gen() -> Any:
    return generate_exports(30, 90, seed=21)


@pytest.fixture(scope="module")
def want(gen: Any) -> dict[str, Any]:
    signals: dict[str, Any] = compute_signals(read_exports(gen.tables), gen.end)
    return signals


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["account_id"].tolist() == b["account_id"].tolist()
    for name in SIGNAL_NAMES:
        assert [str(x) for x in np.asarray(a[name]).tolist()] == [str(x) for x in np.asarray(b[name]).tolist()], name


def _parquet(cols: dict[str, Any], path: Path) -> None:
    pq.write_table(pa.table({k: np.asarray(v) for k, v in cols.items()}), path)


def _split_parquet(gen: Any, folder: Path, *, parts: int = 3) -> None:
    """Every table as ``<table>/part-<i>.parquet`` files, rows dealt in turn."""
    for table, cols in gen.tables.items():
        (folder / table).mkdir(parents=True)
        n = len(next(iter(cols.values())))
        for i in range(parts):
            rows = np.arange(i, n, parts)
            _parquet({k: np.asarray(v)[rows] for k, v in cols.items()}, folder / table / f"part-{i}.parquet")


def test_part_folders_give_the_signals_of_one_file_per_table(gen: Any, want: dict[str, Any], tmp_path: Path) -> None:
    _split_parquet(gen, tmp_path)
    got = compute_signals(read_exports(tmp_path), gen.end)
    order = np.argsort(got["account_id"])  # accounts come in file order: part 0, then part 1, ...
    assert got["account_id"][order].tolist() == want["account_id"].tolist()
    for name in SIGNAL_NAMES:
        a, b = np.asarray(want[name]), np.asarray(got[name])[order]
        if a.dtype == object:
            assert a.tolist() == b.tolist(), name
        else:  # the same rows added in another order
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name)


def test_a_glob_reads_numbered_parts_and_names_each_file_in_messages(gen: Any, tmp_path: Path) -> None:
    for table, cols in gen.tables.items():
        n = len(next(iter(cols.values())))
        half = n // 2
        _parquet({k: np.asarray(v)[:half] for k, v in cols.items()}, tmp_path / f"{table}-0001.parquet")
        _parquet({k: np.asarray(v)[half:] for k, v in cols.items()}, tmp_path / f"{table}-0002.parquet")
    ex = read_exports(str(tmp_path / "*.parquet"))
    assert ex.rows("events") == len(gen.tables["events"]["account_id"])
    # a bad row in the second file is named by that file and its row
    events = {k: np.asarray(v)[:3] for k, v in gen.tables["events"].items()}
    events["account_id"] = np.array([events["account_id"][0], "nobody", events["account_id"][0]])
    _parquet(events, tmp_path / "events-0002.parquet")
    with pytest.raises(InputError, match=r"events-0002\.parquet line 3, column 'account_id'.*unknown.*'nobody'"):
        read_exports(str(tmp_path / "*.parquet"))
    kept = read_exports(str(tmp_path / "*.parquet"), on_bad_rows="report")
    assert [(Path(r.source).name, r.line, r.value) for r in kept.rejected] == [("events-0002.parquet", 3, "nobody")]


def test_a_glob_that_matches_nothing_or_an_unknown_table_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"matches no \.csv or \.parquet file"):
        read_exports(str(tmp_path / "*.parquet"))
    (tmp_path / "notes-1.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes-1\.csv is not an export table"):
        read_exports(str(tmp_path / "*.csv"))


def test_one_table_in_both_csv_and_parquet_is_an_error(gen: Any, tmp_path: Path) -> None:
    write_exports({"accounts": gen.tables["accounts"]}, tmp_path)
    _parquet(gen.tables["accounts"], tmp_path / "accounts.parquet")
    with pytest.raises(InputError, match="table 'accounts' has both CSV and Parquet files"):
        read_exports(tmp_path)


def test_csv_parts_keep_their_own_lines(gen: Any, tmp_path: Path) -> None:
    accounts = {k: np.asarray(v) for k, v in gen.tables["accounts"].items()}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_exports({"accounts": {k: v[:10] for k, v in accounts.items()}}, tmp_path / "a")
    bad = {k: v[10:13].copy() for k, v in accounts.items()}
    bad["arr"] = np.array(["1", "lots", "3"], dtype=object)
    write_exports({"accounts": bad}, tmp_path / "b")
    with pytest.raises(InputError, match=r"b/accounts\.csv line 3, column 'arr': not a number \(value 'lots'\)"):
        read_exports(str(tmp_path / "*" / "accounts.csv"))


def test_a_duplicate_key_across_files_is_the_later_row(gen: Any, tmp_path: Path) -> None:
    accounts = {k: np.asarray(v) for k, v in gen.tables["accounts"].items()}
    _parquet({k: v[:5] for k, v in accounts.items()}, tmp_path / "accounts-1.parquet")
    _parquet({k: v[4:8] for k, v in accounts.items()}, tmp_path / "accounts-2.parquet")  # repeats the 5th
    ex = read_exports(str(tmp_path / "accounts-*.parquet"), on_bad_rows="report")
    assert [(Path(r.source).name, r.line, r.reason) for r in ex.rejected] == [
        ("accounts-2.parquet", 2, "duplicate account_id")
    ]
    assert ex.tables["accounts"]["account_id"].tolist() == accounts["account_id"][:8].tolist()


def test_a_duckdb_database_file_is_read_where_it_lies(gen: Any, want: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        for table, cols in gen.tables.items():
            con.register("t", pa.table({k: np.asarray(v) for k, v in cols.items()}))
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM t')
            con.unregister("t")
        con.execute("CREATE TABLE notes AS SELECT 1 AS x")  # not an export table: not read
    ex = read_exports(path)
    assert ex.sources["events"] == f"{path}:events"
    _same(want, compute_signals(ex, gen.end))
    with duckdb.connect(str(path)) as con:  # the file was only read
        con.execute(
            "UPDATE accounts SET seats_purchased = -1 WHERE account_id = (SELECT MIN(account_id) FROM accounts)"
        )
    with pytest.raises(InputError, match=r"crm\.duckdb:accounts line 1, column 'seats_purchased': must be >= 0"):
        read_exports(path)


def test_a_file_that_is_not_a_database_or_folder_is_named(tmp_path: Path) -> None:
    path = tmp_path / "exports.zip"
    path.write_bytes(b"PK\x03\x04 not a database")
    with pytest.raises(InputError, match=r"exports\.zip: not a folder of exports, a glob or a DuckDB database file"):
        read_exports(path)


def test_a_memory_limit_spills_and_gives_the_same_signals(gen: Any, want: dict[str, Any], tmp_path: Path) -> None:
    write_exports(gen.tables, tmp_path)
    _same(want, compute_signals(read_exports(tmp_path, memory_limit="64MB"), gen.end))
    with pytest.raises(InputError, match="memory_limit"):
        read_exports(tmp_path, memory_limit="a lot")


def test_the_spill_folder_goes_with_the_exports(gen: Any) -> None:
    ex = read_exports({"accounts": gen.tables["accounts"]})
    (spill,) = ex.db.execute("SELECT current_setting('temp_directory')").fetchone()
    assert Path(spill).is_dir()
    del ex
    gc.collect()
    assert not Path(spill).exists()


@pytest.mark.skipif(os.name != "posix", reason="a process is told alive or gone by POSIX signal 0")
def test_the_spill_folder_of_a_killed_process_goes_the_next_time(
    gen: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed before its exports were collected leaves its spill
    folder behind; the next `read_exports` removes it, and leaves a running
    process's folder alone."""
    killed = (
        "import os, signal; from healthscore.datasets import generate_exports; "
        "from healthscore.exports import read_exports; "
        "ex = read_exports({'accounts': generate_exports(3, 10, seed=1).tables['accounts']}); "
        "print(ex.db.execute(\"SELECT current_setting('temp_directory')\").fetchone()[0], flush=True); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", killed], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == -signal.SIGKILL, run.stderr
    left = Path(run.stdout.strip())
    assert left.is_dir()
    assert left.parent == tmp_path
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
        running = tmp_path / f"healthscore-exports-{alive.pid}-x"
        running.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        ex = read_exports({"accounts": gen.tables["accounts"]})
        assert not left.exists()
        assert running.is_dir()
        alive.kill()
    del ex
    gc.collect()


def test_a_nul_inside_an_in_memory_text_cell_is_kept(gen: Any) -> None:
    """Arrow reads a NumPy text cell only up to its first NUL; the exports keep
    the whole cell, from a text array and from an object array alike."""
    accounts = dict(gen.tables["accounts"])
    names = np.asarray(accounts["name"]).astype(str)
    names[1] = "Acme\x00Corp"
    for column in (names, names.astype(object)):
        ex = read_exports({"accounts": {**accounts, "name": column}})
        assert str(ex.tables["accounts"]["name"][1]) == "Acme\x00Corp"
        assert str(ex.tables["accounts"]["name"][0]) == str(names[0])


def test_signals_are_the_same_bits_on_every_run(gen: Any, want: dict[str, Any]) -> None:
    """Floats are added in the rows' order, however DuckDB splits the work."""
    again = compute_signals(read_exports(gen.tables), gen.end)
    for name in SIGNAL_NAMES:
        a, b = np.asarray(want[name]), np.asarray(again[name])
        if a.dtype == object:
            assert a.tolist() == b.tolist(), name
        else:
            assert np.array_equal(a, b, equal_nan=True), name


def test_the_one_account_path_reads_parquet_too(gen: Any, want: dict[str, Any], tmp_path: Path) -> None:
    _split_parquet(gen, tmp_path, parts=2)
    ex = read_exports(tmp_path)
    ids = want["account_id"].tolist()
    batch = compute_signals(ex, gen.end)
    for i in (0, len(ids) // 2, len(ids) - 1):
        one = signals_for_account(ex, ids[i], gen.end)
        for name in SIGNAL_NAMES:
            expected = batch[name][batch["account_id"].tolist().index(ids[i])]
            if isinstance(expected, float) and math.isnan(expected):
                assert isinstance(one[name], float), name
                assert math.isnan(one[name]), name
            else:
                assert one[name] == expected, name


def test_text_timestamps_in_parquet_follow_the_one_date_rule(gen: Any, tmp_path: Path) -> None:
    accounts = gen.tables["accounts"]
    _parquet(accounts, tmp_path / "accounts.parquet")
    first = str(accounts["account_id"][0])
    events = {
        "account_id": [first] * 3,
        "user_id": ["u1", "u2", "u3"],
        "timestamp": ["2026-01-05", "2026-01-06T10:00:00+02:00", "20260107"],
        "feature": ["reports"] * 3,
    }
    _parquet(events, tmp_path / "events.parquet")
    with pytest.raises(InputError, match=r"events\.parquet line 4, column 'timestamp': not an ISO 8601.*'20260107'"):
        read_exports(tmp_path)
    ex = read_exports(tmp_path, on_bad_rows="report")
    assert ex.tables["events"]["timestamp"].tolist() == [1767571200, 1767686400]


# --------------------------------------------------------------------------- command line


def _cli(*argv: str) -> tuple[int, str, str]:
    import io

    from healthscore.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_the_command_line_reads_a_glob_and_a_database_file(gen: Any, tmp_path: Path) -> None:
    (tmp_path / "dump").mkdir()
    for table, cols in gen.tables.items():
        _parquet(cols, tmp_path / "dump" / f"{table}-0001.parquet")
    status, from_glob, err = _cli("signals", str(tmp_path / "dump" / "*.parquet"), "--as-of", gen.end, "-o", "-")
    assert status == 0, err
    db = tmp_path / "crm.duckdb"
    with duckdb.connect(str(db)) as con:
        for table in gen.tables:
            con.execute(
                f"CREATE TABLE \"{table}\" AS SELECT * FROM read_parquet('{tmp_path}/dump/{table}-0001.parquet')"
            )
    status, from_db, err = _cli("signals", str(db), "--as-of", gen.end, "-o", "-", "--memory-limit", "256MB")
    assert status == 0, err
    assert from_db == from_glob
    assert len(from_db.splitlines()) == 1 + len(gen.tables["accounts"]["account_id"])
    status, scored, err = _cli("score", str(db), "--as-of", gen.end, "-o", "-")
    assert status == 0, err
    assert scored.splitlines()[0].startswith("account_id,score,band")


def test_the_command_line_names_a_bad_memory_limit_and_a_missing_glob(gen: Any, tmp_path: Path) -> None:
    write_exports(gen.tables, tmp_path)
    status, _, err = _cli("signals", str(tmp_path), "--as-of", gen.end, "-o", "-", "--memory-limit", "plenty")
    assert status == 2
    assert "memory_limit" in err
    assert "Traceback" not in err
    status, _, err = _cli("signals", str(tmp_path / "nothing-*.parquet"), "--as-of", gen.end, "-o", "-")
    assert status == 2
    assert "matches no .csv or .parquet file" in err


@pytest.mark.parametrize("family", ["mapping", "pandas", "polars", "arrow"])
def test_the_numpy_tables_keep_the_source_order_and_empty_cells(family: str) -> None:
    accounts: dict[str, list[Any]] = {
        "account_id": ["zeta", "alpha", "mid"],
        "segment": ["smb", None, ""],
        "seats_purchased": [3, None, 1],
        "arr": [1.0, 2.0, 3.0],
        "contract_term_months": [12, 12, 24],
    }
    events: dict[str, list[Any]] = {
        "account_id": ["mid", "zeta", "alpha", "zeta"],
        "user_id": ["u3", "u1", "u2", "u1"],
        "timestamp": ["2026-01-03", "2026-01-01", "2026-01-02", "2026-01-04"],
        "feature": ["b", "a", None, "a"],
    }
    data: dict[str, Any] = {"accounts": accounts, "events": events}
    if family != "mapping":
        module = pytest.importorskip(family if family != "arrow" else "pyarrow")
        make = module.table if family == "arrow" else module.DataFrame
        data = {name: make(cols) for name, cols in data.items()}
    ex = read_exports(data, on_bad_rows="report")
    got = ex.tables["accounts"]
    assert got["account_id"].tolist() == ["zeta", "alpha", "mid"]
    assert got["segment"].tolist() == ["smb", "", ""]
    assert got["_account"].tolist() == [0, 1, 2]
    assert [r.line for r in ex.rejected] == [3]  # the event without a feature (rows count from 1)
    kept = ex.tables["events"]
    assert kept["account_id"].tolist() == ["mid", "zeta", "zeta"]
    assert kept["_account"].tolist() == [2, 0, 0]
    assert ex.lines["events"].tolist() == [1, 2, 4]
    signals = compute_signals(ex, "2026-01-05")
    assert signals["account_id"].tolist() == ["zeta", "alpha", "mid"]
    assert signals["days_since_last_login"].tolist()[0] == 1.0


def test_a_file_duckdb_cannot_read_is_named_with_its_reason(gen: Any, tmp_path: Path) -> None:
    _parquet(gen.tables["accounts"], tmp_path / "accounts.parquet")
    (tmp_path / "events.parquet").write_bytes(b"PAR1 cut short")
    with pytest.raises(InputError, match=r"events\.parquet: cannot read the events table: "):
        read_exports(tmp_path)
    status, _, err = _cli("signals", str(tmp_path), "--as-of", gen.end, "-o", "-")
    assert status == 2
    assert "cannot read the events table" in err
    assert "Traceback" not in err


def test_a_mapping_without_accounts_is_named_by_its_tables_not_printed(gen: Any) -> None:
    with pytest.raises(InputError) as info:
        read_exports({"events": gen.tables["events"], "tickets": gen.tables["tickets"]})
    message = str(info.value)
    assert message.startswith("the tables given (events, tickets): the accounts table is required")
    assert "array" not in message
    assert len(message) < 200
    with pytest.raises(InputError, match=r"^the tables given \(none\): the accounts table"):
        read_exports({})


def test_with_rejected_keeps_the_database_open_while_the_copy_lives(gen: Any) -> None:
    ex = read_exports({"accounts": gen.tables["accounts"]})
    (spill,) = ex.db.execute("SELECT current_setting('temp_directory')").fetchone()
    row = RejectedRow(table="accounts", source="crm.csv", line=7, column="arr", value="x", reason="not a number")
    later = ex.with_rejected((*ex.rejected, row), sources={"accounts": "crm.csv"})
    assert ex.rejected == ()
    assert later.rejected == (row,)
    assert later.sources == {"accounts": "crm.csv"}
    assert ex.sources["accounts"] == "<accounts>"
    assert later.with_rejected(()).sources == {"accounts": "crm.csv"}
    del ex
    gc.collect()
    assert Path(spill).is_dir()  # the copy holds the original, whose finalizer closes the database
    assert later.rows("accounts") == len(gen.tables["accounts"]["account_id"])
    assert later.tables["accounts"]["account_id"].tolist() == list(gen.tables["accounts"]["account_id"])
    del later
    gc.collect()
    assert not Path(spill).exists()


# the text rule: a cell loses the ASCII blanks at its ends, nothing else, in every format
_ASCII_BLANKS = " \t\n\v\f\r"
_AWKWARD = [
    "",
    "NULL",
    "   ",
    " \t\r\n\v\f ",
    "\tacme",
    "acme\t",
    "\nacme",
    "acme\r\n",
    "\r\n acme \t",
    "a  b",
    "Zürich",
    " Zürich ",
    "日本語",
    " 日本語\t",
    "\u00a0acme",
    "acme\u00a0",
    " acme\u00a0 ",
    "\u00a0",
    "\u3000acme\u3000",
    "\u2003acme ",
    "\x01acme",
    "acme\x1f",
    "\x1cacme\x1d",
    "\x0bacme\x0c",
    "\x7facme",
]


def _awkward_accounts(name: list[Any]) -> dict[str, list[Any]]:
    n = len(name)
    return {
        "account_id": [f"a{i}" for i in range(n)],
        "segment": ["smb"] * n,
        "seats_purchased": [1] * n,
        "arr": [1.0] * n,
        "contract_term_months": [12] * n,
        "name": name,
    }


def test_the_text_rule_gives_the_same_cells_from_parquet_csv_and_memory(tmp_path: Path) -> None:
    import csv

    want = [c.strip(_ASCII_BLANKS) for c in _AWKWARD] + [""]
    with_null = [*_AWKWARD, None]  # a real null (Parquet, memory); an empty cell in CSV
    (tmp_path / "pq").mkdir()
    (tmp_path / "csv").mkdir()
    pq.write_table(pa.table(_awkward_accounts(with_null)), tmp_path / "pq" / "accounts.parquet")
    with open(tmp_path / "csv" / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        cols = _awkward_accounts(["" if c is None else c for c in with_null])
        writer = csv.writer(f)
        writer.writerow(list(cols))
        writer.writerows(zip(*cols.values(), strict=True))
    for source in (tmp_path / "pq", tmp_path / "csv", {"accounts": _awkward_accounts(with_null)}):
        ex = read_exports(source)
        got = ex.tables["accounts"]["name"].tolist()
        assert got == want, source
        # the empty ones are NULL in the database, the others kept as they are
        rows = ex.db.execute('SELECT name FROM accounts ORDER BY "_line"').fetchall()
        assert [r[0] for r in rows] == [w or None for w in want], source


def _awkward_rows(accounts: dict[str, list[Any]]) -> dict[str, dict[str, list[Any]]]:
    """Events, CRM activities and tickets whose cells the text rule changes:
    padded ids of accounts, users and tickets, a choice in capitals."""
    ids = accounts["account_id"]
    n = len(_AWKWARD)
    users = [c if c.strip(_ASCII_BLANKS) else "u" for c in _AWKWARD]
    return {
        "events": {
            "account_id": [f" {ids[i]}\t" if i % 3 == 0 else ids[i] for i in range(n)],
            "user_id": users,
            "timestamp": ["2026-01-05T10:00:00"] * n,
            "feature": [f"{u} feature" for u in users],
        },
        "crm_activities": {
            "account_id": [ids[0], f"\n{ids[1]}", ids[2]],
            "timestamp": ["2026-01-05"] * 3,
            "kind": ["MEETING", " qbr ", "email_out"],
            "persona": ["Executive", None, "manager\t"],
        },
        "tickets": {
            "account_id": ids[:3],
            "ticket_id": [" t1", "t2\r\n", "t\u00a03"],
            "opened_at": ["2026-01-05"] * 3,
            "sentiment": [0.5, None, -0.5],
        },
    }


def test_the_text_rule_gives_the_same_rows_of_every_table_from_parquet_and_memory(tmp_path: Path) -> None:
    """A Parquet table whose cells need the text rule is checked row by row;
    one whose cells are all plain is read where it lies: the same rows either way."""
    accounts = _awkward_accounts(list(_AWKWARD))
    tables: dict[str, dict[str, list[Any]]] = {"accounts": accounts, **_awkward_rows(accounts)}
    plain: dict[str, dict[str, list[Any]]] = {
        "events": {"account_id": ["a0", "a1"], "user_id": ["u1", "u 2"], "timestamp": ["2026-01-05"] * 2,
                   "feature": ["reports", "alerts"]},
        "value": {"account_id": ["a0", "a1"], "timestamp": ["2026-01-05"] * 2,
                  "value_delivered": [5.0, math.nan]},  # NaN is an empty cell: not plain
    }  # fmt: skip
    for name, data in (("awkward", tables), ("plain", {"accounts": accounts, **plain})):
        folder = tmp_path / name
        folder.mkdir()
        for table, cols in data.items():
            arrow = {k: pa.array(v) for k, v in cols.items()}
            for column in ("timestamp", "opened_at"):
                if column in arrow:  # Parquet timestamps, as an export writes them
                    arrow[column] = pa.array(np.asarray(cols[column], dtype="datetime64[s]"))
            pq.write_table(pa.table(arrow), folder / f"{table}.parquet")
        from_files, in_memory = read_exports(folder), read_exports(data)
        for table in data:
            got, want = from_files.tables[table], in_memory.tables[table]
            assert list(got) == list(want), (name, table)
            for column in want:
                assert [str(x) for x in got[column]] == [str(x) for x in want[column]], (name, table, column)
            # a file's line counts its header; a row in memory is its number + 1
            assert (from_files.lines[table] - 1).tolist() == in_memory.lines[table].tolist(), (name, table)
    checked = {t for (t,) in from_files.db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert checked == {"accounts", "hs_checked_value"}  # the plain events: a view over the file, no copy
    assert from_files.db.execute("SELECT COUNT(value_delivered) FROM value").fetchall() == [(1,)]  # NaN is NULL


def test_a_parquet_file_changed_after_reading_is_refused_not_read_unchecked(gen: Any, tmp_path: Path) -> None:
    import os

    _parquet(gen.tables["accounts"], tmp_path / "accounts.parquet")
    events = {k: np.asarray(v)[:20] for k, v in gen.tables["events"].items()}
    _parquet(events, tmp_path / "events.parquet")
    ex = read_exports(tmp_path)
    assert ex.rows("events") == 20  # a view over the file: every row good as it lies
    events["account_id"] = np.array(["nobody"] * 20)  # rows no rule has seen
    _parquet(events, tmp_path / "events.parquet")
    os.utime(tmp_path / "events.parquet", ns=(1, 1))  # whatever the clock's resolution
    for read in (lambda: compute_signals(ex, gen.end), lambda: ex.tables, lambda: ex.rows("events")):
        with pytest.raises(InputError, match=r"events\.parquet: changed since the exports were read and checked"):
            read()
    (tmp_path / "events.parquet").unlink()
    with pytest.raises(InputError, match=r"events\.parquet: removed since the exports were read"):
        compute_signals(ex, gen.end)


def test_a_bad_row_of_a_parquet_table_is_named_with_its_file_and_line(gen: Any, tmp_path: Path) -> None:
    _parquet(gen.tables["accounts"], tmp_path / "accounts.parquet")
    tickets = {k: np.asarray(v)[:4].copy() for k, v in gen.tables["tickets"].items()}
    tickets["ticket_id"][3] = tickets["ticket_id"][1]
    _parquet(tickets, tmp_path / "tickets.parquet")
    with pytest.raises(InputError, match=r"tickets\.parquet line 5, column 'ticket_id': duplicate ticket_id"):
        read_exports(tmp_path)
    kept = read_exports(tmp_path, on_bad_rows="report")
    assert [(r.line, r.reason) for r in kept.rejected] == [(5, "duplicate ticket_id")]
    assert kept.rows("tickets") == 3


def test_the_text_rule_keeps_what_python_strip_would_remove() -> None:
    """Python's str.strip() removes U+00A0, U+3000 and the separators U+001C..U+001F; the rule keeps them."""
    for cell in ("\u00a0acme", "acme\u3000", "\x1cacme", "\u2003acme"):
        assert cell.strip() == "acme"
        assert cell.strip(_ASCII_BLANKS) == cell
    from healthscore.exports import parse_timestamps

    secs, bad = parse_timestamps(["\t2026-01-01 ", "2026-01-01\u00a0", "\u00a02026-01-01\n", "\r\n"])
    assert bad.tolist() == [False, True, True, False]
    assert secs[0] == 1767225600


def _days(as_of: str, ages: list[int]) -> list[str]:
    day = np.datetime64(as_of[:10], "D")
    return [str(day - np.timedelta64(a, "D")) + "T08:00:00Z" for a in ages]


def test_active_days_with_other_windows_and_an_exponential_decay_are_the_hand_computed_weights() -> None:
    from healthscore.decay import exponential
    from healthscore.signals import SignalSettings

    as_of = "2026-03-01T12:00:00Z"
    ages = {
        "a": [0, 0, 1, 5, 12, 25, 40],  # windows 0 (days 0, 1, 5), 1 (12), 2 (25); 40 is past the third window
        "b": [2, 3],  # window 0 only
        "c": [15],  # window 1 only
        "d": [],  # no activity
    }
    ids = list(ages)
    events = [(acc, age) for acc, a in ages.items() for age in a]
    tables = {
        "accounts": {
            "account_id": ids,
            "segment": ["smb"] * 4,
            "seats_purchased": [5] * 4,
            "arr": [1000.0] * 4,
            "contract_term_months": [12] * 4,
        },
        "events": {
            "account_id": [acc for acc, _ in events],
            "user_id": ["u1"] * len(events),
            "timestamp": [_days(as_of, [age])[0] for _, age in events],
            "feature": ["reports"] * len(events),
        },
    }
    settings = SignalSettings(window_days=10, activity_windows=3, activity_decay=exponential(half_life_days=10))
    got = compute_signals(read_exports(tables), as_of, settings)["active_days"].tolist()
    # window weights: 0.5 ** (0 / 10), 0.5 ** (10 / 10), 0.5 ** (20 / 10) = 1, 0.5, 0.25
    assert got[0] == pytest.approx((3 * 1 + 1 * 0.5 + 1 * 0.25) / (1 + 0.5 + 0.25), rel=1e-15)
    assert got[1] == pytest.approx(2 / 1, rel=1e-15)
    assert got[2] == pytest.approx((0 * 1 + 1 * 0.5) / (1 + 0.5), rel=1e-15)
    assert got[3] == 0.0
    default = compute_signals(read_exports(tables), as_of)["active_days"].tolist()
    assert default[2] == 1.0  # 30-day windows: the day 15 ago is in the latest one, weight 1 of 1
    assert default != got


def test_bounded_means_are_exact_at_their_bounds() -> None:
    as_of = "2026-03-01T12:00:00Z"
    ids = ["top", "bottom", "mixed"]
    tables = {
        "accounts": {
            "account_id": ids,
            "segment": ["smb"] * 3,
            "seats_purchased": [5] * 3,
            "arr": [1000.0] * 3,
            "contract_term_months": [12] * 3,
        },
        "surveys": {
            "account_id": ["top"] * 7 + ["mixed"] * 3,
            "respondent": [f"r{i}" for i in range(10)],
            "timestamp": _days(as_of, [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]),
            "kind": ["csat"] * 10,
            "value": [10.0] * 7 + [10.0, 0.1, 0.7],
        },
        "tickets": {
            "account_id": ["top"] * 3 + ["bottom"] * 5 + ["mixed"] * 4,
            "ticket_id": [f"t{i}" for i in range(12)],
            "opened_at": _days(as_of, [1, 2, 3, 1, 2, 3, 4, 5, 1, 2, 3, 4]),
            "sentiment": [1.0] * 3 + [-1.0] * 5 + [1.0, -1.0, 0.1, -0.7],
        },
    }
    signals = compute_signals(read_exports(tables), as_of)
    assert signals["csat"][0] == 10.0
    assert math.isnan(signals["csat"][1])  # no answer: missing, never 0
    # an exact sum rounded once: the correctly rounded sum of the floats, then divided
    assert signals["csat"][2] == math.fsum([10.0, 0.1, 0.7]) / 3
    assert signals["ticket_sentiment"].tolist() == [1.0, -1.0, math.fsum([1.0, -1.0, 0.1, -0.7]) / 4]


def test_a_nul_in_a_csv_is_an_error_naming_the_line_not_a_cut_cell(tmp_path: Path) -> None:
    """NumPy and Arrow strings end at a NUL, so a CSV cell holding one would
    lose the rest: the file is refused, naming the line (and a UTF-16 file,
    full of NULs, is named as such)."""
    (tmp_path / "accounts.csv").write_text(
        "account_id,segment,seats_purchased,arr,contract_term_months,name\na0,smb,1,1.0,12,x\x00y\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"accounts\.csv line 2: a NUL character \(\\x00\) after 'a0,smb,1,1\.0,12,x'"):
        read_exports(tmp_path)
    (tmp_path / "accounts.csv").write_text("account_id,segment\na0,smb\n", encoding="utf-16-le")
    with pytest.raises(InputError, match="the file is UTF-16 text, not UTF-8"):
        read_exports(tmp_path)
