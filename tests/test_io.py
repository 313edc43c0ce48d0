"""The one CSV reader: both engines read the same files the same way."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthscore._io import CsvTable, Engine, _read_pyarrow, parse_csv, read_csv
from healthscore.exceptions import InputError

pytest.importorskip("pyarrow")

GOOD = [
    b"a,b\n1,2\n3,4\n",
    b"a,b\n1,NA\nnan,null\n",
    b'a,b\n1,""\n',
    b'a,b\r\n"a\r\nb",2\r\n5,6',
    b"a,b\r1,2\r3,4\r",
    b"a,b\n1,2\n\n3,4\n",
    b"\n\na,b\n1,2\n\r\n3,4",
    b"\xef\xbb\xbfa,b\n1,2\n",
    b'a,b\n1,"a""b"\n',
    b"a,b",
    b'"x\ny",b\n1,"p\nq"\n3,4\n',
    b'a\n""\n\n"x"\n',
    b"a,b\n\xc3\xa9t\xc3\xa9,1\nx,22\n",
]
BAD = [
    (b'a,b\n"ab"c,2\n', "line 2: not valid CSV"),
    (b"a,b\n1,2,3\n", "line 2: expected 2 cells like the header, got 3"),
    (b'a,b\n"p\nq",1\n1\n', "line 4: expected 2 cells like the header, got 1"),
    (b"a,b\n1,\xff\n", "line 2, column 'b': not UTF-8 text"),
    (b'a,b\n"abc,2\n', "line 2: not valid CSV"),
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf\n", "the file is empty"),
    (b"a,a\n1,2", "line 1: the header repeats column(s) 'a'"),
    (b"a,\n1,2", "line 1: header cell 2 is empty"),
]


def _same(x: CsvTable, y: CsvTable) -> None:
    assert list(x.columns) == list(y.columns)
    for name in x.columns:
        assert x.columns[name].tolist() == y.columns[name].tolist(), name
    assert x.lines.tolist() == y.lines.tolist()
    assert x.header_line == y.header_line


@pytest.mark.parametrize("data", GOOD)
def test_engines_agree_on_good_files(data: bytes) -> None:
    _same(parse_csv(data, source="f.csv", engine="pyarrow"), parse_csv(data, source="f.csv", engine="python"))


def test_fast_engine_reads_regular_files_itself() -> None:
    assert _read_pyarrow(b'a,b\r\n"x, ""y""\r\nz",2\r\n', "f.csv") is not None


@pytest.mark.parametrize(("data", "message"), BAD)
def test_engines_raise_the_same_errors(data: bytes, message: str) -> None:
    errors = []
    engines: tuple[Engine, ...] = ("pyarrow", "python")
    for engine in engines:
        with pytest.raises(InputError) as info:
            parse_csv(data, source="f.csv", engine=engine)
        errors.append(str(info.value))
    assert errors[0] == errors[1]
    assert errors[0].startswith("f.csv")
    assert message in errors[0]


def test_values_stay_text_and_lines_are_physical(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b'id,note,n\r\na,"two\nlines",nan\r\n\r\nb,,NA\r\n')
    table = read_csv(path, engine="python")
    assert table.columns["n"].tolist() == ["nan", "NA"]
    assert table.columns["note"].tolist() == ["two\nlines", ""]
    assert table.lines.tolist() == [2, 5]


cells = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=8)


@given(st.integers(1, 4).flatmap(lambda k: st.lists(st.lists(cells, min_size=k, max_size=k), max_size=6)))
def test_round_trip_through_csv_writer(rows: list[list[str]]) -> None:
    k = len(rows[0]) if rows else 2
    header = [f"c{j}" for j in range(k)]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    data = buffer.getvalue().encode("utf-8")
    fast = parse_csv(data, source="f.csv", engine="pyarrow")
    slow = parse_csv(data, source="f.csv", engine="python")
    _same(fast, slow)
    kept = rows  # a row of one empty cell is written as "", never as a blank line
    assert [[fast.columns[h][i] for h in header] for i in range(len(fast))] == [
        [np.str_(c).rstrip("\x00") for c in r] for r in kept
    ]
