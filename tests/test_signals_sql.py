"""The signal SQL: transpiled to every dialect, the decay rule the same in SQL
and NumPy, and the Spark query giving the embedded DuckDB signals."""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from healthscore import InputError, ValidationError, decay
from healthscore._sql import DIALECTS, decay_sql
from healthscore.datasets import ADVANCED_FEATURES, generate_exports
from healthscore.exports import MISSING_TIME, read_exports
from healthscore.signals import SIGNAL_NAMES, SignalSettings, compute_signals, signal_sql

pytest.importorskip("duckdb", reason="the signals run on DuckDB: pip install 'healthscore[exports]'")
sqlglot = pytest.importorskip("sqlglot", reason="the signal SQL is transpiled by SQLGlot")

SETTINGS = SignalSettings(
    advanced_features=ADVANCED_FEATURES,
    key_features=("reports", "alerts", "search"),
    workflow_start="reports",
    workflow_complete="custom_reports",
    power_user_min_days=4,
)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("as_of", ["2026-06-30", None])
def test_the_query_transpiles_to_every_dialect(dialect: str, as_of: str | None) -> None:
    sql = signal_sql(dialect, SETTINGS, as_of)
    parsed = sqlglot.parse_one(sql, read=dialect)  # the dialect's own parser reads it back
    names = [e.alias_or_name for e in parsed.expressions]
    assert names == ["account_id", *SIGNAL_NAMES]
    assert ("1782863999" in sql) == (as_of is not None)  # 2026-06-30T23:59:59Z, the whole day
    assert "healthscore_now" not in sql


def test_absent_tables_are_null_columns_and_unknown_ones_an_error() -> None:
    sql = signal_sql("postgres", tables=["accounts", "invoices"])
    assert "crm_activities" not in sql
    assert "events" not in sql
    with pytest.raises(ValidationError, match="tables"):
        signal_sql("spark", tables=["accounts", "event"])
    with pytest.raises(ValidationError, match="dialect must be one of duckdb, spark"):
        signal_sql("oracle")


def test_a_decay_without_an_sql_form_is_refused_by_name() -> None:
    def custom(ages: Any) -> Any:
        return np.ones_like(np.asarray(ages, dtype=float))

    with pytest.raises(ValidationError, match="payment_decay"):
        signal_sql("duckdb", SignalSettings(payment_decay=custom))


@pytest.mark.parametrize("rule", [decay.exponential(90.0), decay.exponential(7.5), decay.step(30.0, 0.5)])
def test_the_sql_decay_is_the_numpy_decay(rule: decay.Decay) -> None:
    import duckdb

    ages = np.arange(0, 400)
    sql = f"SELECT {decay_sql(rule, 'age')} AS w FROM range(0, 400) t(age) ORDER BY age"
    got = duckdb.connect().execute(sql).fetchnumpy()["w"]
    np.testing.assert_allclose(got, rule(ages), rtol=1e-14, atol=0)


# --------------------------------------------------------------------------- Spark


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return home
    return shutil.which("java")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed: pip install pyspark")
    if _java() is None:
        pytest.skip("Spark needs Java (JAVA_HOME or java on PATH; Debian: openjdk-17-jre-headless)")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("healthscore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


def _spark_rows(columns: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Validated NumPy columns as Spark rows: empty cells NULL, ``account_id`` the text id."""
    names = [n for n in columns if not n.startswith("_")]
    cells: list[list[Any]] = []
    for name in names:
        values = columns[name]
        if values.dtype.kind == "f":
            cells.append([None if math.isnan(v) else float(v) for v in values.tolist()])
        elif values.dtype.kind in "iu":
            cells.append([None if v == MISSING_TIME else int(v) for v in values.tolist()])
        else:
            cells.append([str(v) for v in values.tolist()])
    return names, list(zip(*cells, strict=True))


def test_the_spark_query_gives_the_embedded_signals(spark: Any) -> None:
    gen = generate_exports(40, 120, seed=11)
    exports = read_exports(gen.tables)
    want = compute_signals(exports, gen.end, SETTINGS)
    for table, columns in exports.tables.items():
        names, rows = _spark_rows(columns)
        spark.createDataFrame(rows, schema=names).createOrReplaceTempView(table)
    rows = spark.sql(signal_sql("spark", SETTINGS, gen.end, tables=list(exports.tables))).collect()
    _expect_equal(want, {name: [row[name] for row in rows] for name in ["account_id", *SIGNAL_NAMES]})
    assert np.isfinite(np.asarray(want["response_hours"], dtype=float)).any()  # the windows were exercised


def _expect_equal(want: dict[str, Any], got: dict[str, list[Any]]) -> None:
    """Rows of another engine (ordered by account_id) against the embedded signals."""
    assert got["account_id"] == sorted(want["account_id"].tolist())
    order = np.argsort(want["account_id"])
    for name in SIGNAL_NAMES:
        expected = np.asarray(want[name])[order]
        if expected.dtype == object:
            assert got[name] == expected.tolist(), name
        else:
            values = np.array([math.nan if v is None else v for v in got[name]], dtype=float)
            np.testing.assert_allclose(values, expected, rtol=1e-9, atol=0, equal_nan=True, err_msg=name)


_PG_TYPES = {"f": "DOUBLE PRECISION", "i": "BIGINT", "U": "TEXT"}


def test_the_postgres_query_gives_the_embedded_signals(postgres_url: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    gen = generate_exports(30, 120, seed=12)
    exports = read_exports(gen.tables)
    want = compute_signals(exports, gen.end, SETTINGS)
    schema = f"hs_signals_{os.getpid()}"
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
        try:
            con.execute(f"SET search_path TO {schema}")
            for table, columns in exports.tables.items():
                names, rows = _spark_rows(columns)
                types = ", ".join(f'"{n}" {_PG_TYPES[columns[n].dtype.kind]}' for n in names)
                con.execute(f'CREATE TABLE "{table}" ({types})')
                quoted = ", ".join(f'"{n}"' for n in names)
                with con.cursor().copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            cursor = con.execute(signal_sql("postgres", SETTINGS, gen.end, tables=list(exports.tables)))
            names = [d.name for d in cursor.description or ()]
            fetched = cursor.fetchall()
        finally:
            con.execute(f"DROP SCHEMA {schema} CASCADE")
    _expect_equal(want, {name: [row[i] for row in fetched] for i, name in enumerate(names)})


def test_without_duckdb_reading_exports_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "duckdb", None)
    accounts = {
        "account_id": ["a"],
        "segment": ["smb"],
        "seats_purchased": [1],
        "arr": [1],
        "contract_term_months": [1],
    }
    with pytest.raises(InputError, match=r"pip install 'healthscore\[exports\]'"):
        read_exports({"accounts": accounts})


# --------------------------------------------------------------------------- command line


def _cli(*argv: str) -> tuple[int, str, str]:
    import io

    from healthscore.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_command_line_prints_the_query_of_a_dialect(dialect: str) -> None:
    status, out, err = _cli("signals", "--sql", "--dialect", dialect, "--as-of", "2026-06-30")
    assert status == 0, err
    assert out == signal_sql(dialect, SignalSettings(), "2026-06-30") + "\n"


def test_the_command_line_writes_the_query_to_a_file_and_refuses_misuse(tmp_path: Any) -> None:
    dest = tmp_path / "signals.sql"
    status, out, err = _cli("signals", "--sql", "--dialect", "spark", "-o", str(dest))
    assert status == 0, err
    assert out == ""
    assert "UNIX_TIMESTAMP()" in dest.read_text(encoding="utf-8")  # no --as-of: the time it runs
    assert "-> " + str(dest) in err
    status, _, err = _cli("signals", "--dialect", "spark", str(tmp_path), "--as-of", "2026-06-30", "-o", "-")
    assert status == 2
    assert "--dialect only goes with --sql" in err
    status, _, err = _cli("signals", "--sql", "--as-of", "tomorrow")
    assert status == 2
    assert "as_of must be an ISO 8601" in err
    assert "Traceback" not in err
    status, _, err = _cli("signals", str(tmp_path), "-o", "-")
    assert status == 2
    assert "--as-of" in err


def test_the_documented_schema_is_the_one_the_query_reads() -> None:
    import re

    from healthscore import _sql

    doc = _sql.__doc__ or ""
    documented = {
        table.strip('"'): tuple(c.strip().strip('"') for c in columns.split(","))
        for table, columns in re.findall(r"^\* ``([\w\"]+)\((.*?)\)``", doc, re.MULTILINE)
    }
    assert documented == {table: ("account_id", *cols) for table, cols in _sql.TABLE_COLUMNS.items()}
    page = (Path(__file__).resolve().parents[1] / "docs" / "engines.md").read_text(encoding="utf-8")
    for table, cols in _sql.TABLE_COLUMNS.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{table}` |"))
        assert all(f"`{c}`" in row for c in ("account_id", *cols)), table


def test_the_duckdb_query_runs_over_text_ids_as_of_a_date_and_as_of_now() -> None:
    import duckdb

    gen = generate_exports(15, 60, seed=4)
    exports = read_exports(gen.tables)
    want = compute_signals(exports, gen.end, SETTINGS)
    con = duckdb.connect()
    for table, columns in exports.tables.items():
        names, rows = _spark_rows(columns)
        con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM (VALUES {_values(rows)}) t({_quoted(names)})')
    cursor = con.execute(signal_sql("duckdb", SETTINGS, gen.end))
    names = [d[0] for d in cursor.description]
    fetched = cursor.fetchall()
    _expect_equal(want, {name: [row[i] for row in fetched] for i, name in enumerate(names)})
    now = con.execute(signal_sql("duckdb", SETTINGS)).fetchall()  # months later: nothing recent
    assert len(now) == 15
    assert {row[names.index("penetration")] for row in now} <= {0.0, None}


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _values(rows: list[tuple[Any, ...]]) -> str:
    def literal(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return repr(float(v)) if isinstance(v, float) else str(v)

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
