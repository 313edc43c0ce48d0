"""The one CSV reader: both engines read the same files the same way. The one
CSV writer: what it writes reads back, and no text cell starts a formula.
Terminal text: control characters shown, display width counted."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthscore._io import (
    FORMULA_START,
    CsvTable,
    Engine,
    _read_pyarrow,
    csv_text,
    display_width,
    pad,
    parse_csv,
    read_csv,
    spreadsheet_text,
    terminal_text,
)
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


# --------------------------------------------------------------------------- the CSV writer


@pytest.mark.parametrize("first", sorted(FORMULA_START))
def test_text_cells_that_start_a_formula_get_a_quote(first: str) -> None:
    cell = first + "1+1"
    text = csv_text(["account_id", "n"], [[cell, "-2"], ["A-1", "3"]], numbers=["n"])
    table = parse_csv(text.encode(), source="f.csv", engine="python")
    assert table.columns["account_id"].tolist() == ["'" + cell, "A-1"]
    assert table.columns["n"].tolist() == ["-2", "3"]  # a number column is written as it is


def test_formula_start_is_owasps_list() -> None:
    assert frozenset("=+-@\t\r") == FORMULA_START


def test_header_names_are_text_and_none_is_an_empty_cell() -> None:
    assert csv_text(["=x", "y"], [[None, 1.5], ["", None]], numbers=["y"]) == "'=x,y\n,1.5\n,\n"


def test_quoting_of_commas_quotes_and_line_breaks() -> None:
    text = csv_text(["a"], [['=HYPERLINK("http://x","y")'], ["a\rb"], ["c\nd"], ["e,f"]])
    assert text == 'a\n"\'=HYPERLINK(""http://x"",""y"")"\n"a\rb"\n"c\nd"\n"e,f"\n'


def test_a_cell_holding_a_carriage_return_reads_back_as_one_cell() -> None:
    text = csv_text(["a", "b"], [["x\ry", "1"], ["z", "2"]], numbers=["b"])
    table = parse_csv(text.encode(), source="f.csv", engine="python")
    assert table.columns["a"].tolist() == ["x\ry", "z"]
    assert "\r\n" not in text  # every line still ends in \n


def test_numbers_must_name_columns_of_the_header() -> None:
    with pytest.raises(ValueError, match="not in the header"):
        csv_text(["a"], [], numbers=["b"])


numbers_text = st.one_of(st.just(""), st.floats(allow_nan=False).map(repr), st.integers().map(str))


@given(
    st.integers(0, 3).flatmap(
        lambda k: st.lists(st.tuples(numbers_text, st.lists(cells, min_size=k, max_size=k)), max_size=6)
    )
)
def test_what_the_writer_writes_reads_back_neutralised(given_rows: list[tuple[str, list[str]]]) -> None:
    rows = [[number, *texts] for number, texts in given_rows]
    k = len(rows[0]) if rows else 2
    header = [f"c{j}" for j in range(k)]
    numbers = header[:1]  # a number column, as the package formats one: left as it is
    data = csv_text(header, rows, numbers=numbers).encode("utf-8")
    for engine in ("pyarrow", "python"):
        table = parse_csv(data, source="f.csv", engine=engine)
        assert len(table) == len(rows)
        for j, name in enumerate(header):
            expected = [r[j] if name in numbers else spreadsheet_text(r[j]) for r in rows]
            assert table.columns[name].tolist() == expected
            if name not in numbers:
                assert not any(c[:1] in FORMULA_START for c in table.columns[name].tolist())


# --------------------------------------------------------------------------- terminal text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("A1", "A1"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x00\x7f\x85", "\\x00\\x7f\\x85"),
        ("evil\u202etxt", "evil\\u202etxt"),  # a bidirectional override
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\u2028sep", "line\\u2028sep"),
        ("東京\u3000支店", "東京\u3000支店"),  # an ideographic space is text
        ("C:\\x1b", "C:\\x1b"),  # a backslash is shown as it is
    ],
)
def test_terminal_text_shows_control_characters(raw: str, shown: str) -> None:
    assert terminal_text(raw) == shown


@given(st.text())
def test_terminal_text_leaves_nothing_hidden(text: str) -> None:
    shown = terminal_text(text)
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in shown)
    assert shown == text or not text.isprintable()


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("", 0),
        ("A1", 2),
        ("株式会社", 8),
        ("\uff21\uff22\uff23", 6),  # fullwidth ABC
        ("ｶﾀｶﾅ", 4),  # halfwidth katakana
        ("カ\u3099", 2),  # a combining sound mark
        ("é", 1),
        ("東京\u3000", 6),  # an ideographic space
    ],
)
def test_display_width_counts_wide_characters_twice(text: str, width: int) -> None:
    assert display_width(text) == width


def test_pad_fills_to_a_display_width() -> None:
    assert pad("東京", 6) == "東京  "
    assert pad("7", 3, ">") == "  7"
    assert pad("株式会社", 4) == "株式会社"  # never cut


def test_the_writer_leaves_the_callers_rows_as_they_are() -> None:
    rows = [["=1", "a"], ["b", "@2"], ["c", "d"]]
    assert csv_text(["x", "y"], rows) == "x,y\n'=1,a\nb,'@2\nc,d\n"
    assert rows == [["=1", "a"], ["b", "@2"], ["c", "d"]]
