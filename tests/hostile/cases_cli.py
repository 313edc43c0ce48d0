"""The command line's outputs, file paths and interruptions: outputs succeed or
fail together, a history file is created only by a command that writes, and a
bad path, a broken pipe or Ctrl-C ends in a clean message, never a traceback."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from healthscore import HealthModel, InputError, cli
from healthscore._io import write_atomic
from healthscore.history import open_history
from hostile import ApiCase, CliCase

ACCOUNTS = "account_id,penetration,nps,arr\nA1,0.9,40,1000\nA2,0.2,-60,5000\n"
SCORE = ("score", "a.csv", "-o", "out.csv")
NOT_UTF8_MODEL = b'name = "caf\xe9"\n'
RANDOM_BYTES = bytes(range(256)) * 8
READERS = {
    "actions": ("actions", "--history", "h.db"),
    "history": ("history", "A1", "--history", "h.db"),
    "override-list": ("override", "--history", "h.db"),
    "export-history": ("export-history", "--history", "h.db", "-o", "h.csv"),
    "backtest": ("backtest", "--history", "h.db", "--churn", "churn.csv"),
}
CHURN = "account_id,churn_date\nA2,2026-08-01\n"


def _history_bytes() -> bytes:
    """A real history file with one snapshot of ACCOUNTS, as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        (here / "a.csv").write_text(ACCOUNTS, encoding="utf-8")
        argv = ["score", str(here / "a.csv"), "-o", "-", "--history", str(here / "h.db"), "--as-of", "2026-06-30"]
        status = cli.main(argv, stdout=io.StringIO(), stderr=io.StringIO())
        assert status == 0
        db = sqlite3.connect(here / "h.db")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the write-ahead log into the file
        db.close()
        return (here / "h.db").read_bytes()


HISTORY = _history_bytes()


def _set_override(flag: str, value: str, *, reason: str = "r") -> tuple[str, ...]:
    """``healthscore override A1`` setting ``flag value`` in ``h.db``."""
    return (
        "override",
        "A1",
        "--history",
        "h.db",
        flag,
        value,
        "--reason",
        reason,
        "--author",
        "dana",
        "--expires",
        "2099-01-01",
    )


def _read_only_history(folder: Path) -> object:
    """``actions`` on a history file nobody may write (mode 0444)."""
    path = folder / "h.db"
    path.write_bytes(HISTORY)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["actions", "--history", "h.db", "--format", "csv"], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue(), path.read_bytes() == HISTORY


def _reads_read_only(result: object) -> None:
    assert isinstance(result, tuple)
    status, out, err, unchanged = result
    assert status == 0, err
    assert "A2" in out
    assert unchanged, "a command that only reads changed the history file"


def _unwritable_folder(folder: Path) -> object:
    """``write_atomic`` where the folder refuses new files (as a non-root user sees it)."""
    denied = PermissionError(13, "Permission denied")
    with mock.patch("tempfile.mkstemp", side_effect=denied):
        write_atomic(folder / "out.csv", "x\n")
    return None


def _closed_pipe(folder: Path) -> object:
    """A command whose stdout reader has gone (``healthscore demo | head -1``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        return subprocess.run(
            [sys.executable, "-m", "healthscore", "demo", "--accounts", "20"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            cwd=folder,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)


def _quiet_pipe_exit(result: object) -> None:
    assert isinstance(result, subprocess.CompletedProcess)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode in (0, 141), (result.returncode, stderr)
    assert "Traceback" not in stderr
    assert stderr == "", stderr


def _interrupted(folder: Path) -> object:
    """Ctrl-C while a command runs."""

    def interrupt(*_args: Any, **_kwargs: Any) -> int:
        raise KeyboardInterrupt

    (folder / "a.csv").write_text(ACCOUNTS, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.object(HealthModel, "score_batch", interrupt):
        status = cli.main([*SCORE], stdout=out, stderr=err)
    return status, err.getvalue(), (folder / "out.csv").exists()


def _exits_130(result: object) -> None:
    assert isinstance(result, tuple)
    status, err, written = result
    assert status == 130
    assert "interrupted" in err
    assert "Traceback" not in err
    assert not written


def _reader(name: str, argv: tuple[str, ...]) -> CliCase:
    return CliCase(
        id=f"history-missing-{name}",
        argv=argv,
        files={"churn.csv": CHURN},
        stderr=("h.db does not exist",),
        absent=("h.db", "h.csv"),
    )


CASES: list[CliCase | ApiCase] = [
    # -- outputs succeed or fail together
    CliCase(
        id="score-history-text-file-writes-no-csv",
        argv=(*SCORE, "--history", "h.db"),
        files={"a.csv": ACCOUNTS, "h.db": "not a database\n"},
        stderr=("h.db", "not a SQLite history"),
        absent=("out.csv",),
        unchanged=("h.db",),
    ),
    CliCase(
        id="score-history-bad-as-of-writes-nothing",
        argv=(*SCORE, "--history", "h.db", "--as-of", "2026-02-30"),
        files={"a.csv": ACCOUNTS},
        stderr=("--as-of",),
        absent=("out.csv", "h.db"),
    ),
    CliCase(
        id="score-output-is-the-input",
        argv=("score", "a.csv", "-o", "a.csv"),
        files={"a.csv": ACCOUNTS},
        stderr=("-o a.csv is the input file a.csv",),
        unchanged=("a.csv",),
    ),
    CliCase(
        id="score-output-is-the-input-by-another-path",
        argv=("score", "a.csv", "-o", "./sub/../a.csv"),
        files={"a.csv": ACCOUNTS, "sub/keep": ""},
        stderr=("is the input file a.csv",),
        unchanged=("a.csv",),
    ),
    CliCase(
        id="score-output-is-the-model",
        argv=("score", "a.csv", "--model", "m.toml", "-o", "m.toml"),
        files={"a.csv": ACCOUNTS, "m.toml": 'name = "x"\n'},
        stderr=("is the input file m.toml",),
        unchanged=("m.toml",),
    ),
    CliCase(
        id="init-model-keeps-an-edited-model",
        argv=("init-model", "dear", "-o", "m.toml"),
        files={"m.toml": "# hand-edited\n"},
        stderr=("m.toml exists", "--force"),
        unchanged=("m.toml",),
    ),
    CliCase(
        id="init-model-force-replaces",
        argv=("init-model", "dear", "-o", "m.toml", "--force"),
        files={"m.toml": "# hand-edited\n"},
        status=0,
        stderr=("wrote dear -> m.toml",),
        check=lambda folder: None if "[[dimensions]]" in (folder / "m.toml").read_text("utf-8") else _fail("m.toml"),
    ),
    CliCase(
        id="init-model-format-contradicts-suffix",
        argv=("init-model", "dear", "--format", "yaml", "-o", "d.json"),
        stderr=("--format yaml contradicts the suffix '.json'",),
        absent=("d.json",),
    ),
    CliCase(
        id="export-history-unknown-suffix",
        argv=("export-history", "--history", "h.db", "-o", "h.xlsx"),
        files={"h.db": HISTORY},
        stderr=("'.xlsx'", ".csv", ".parquet"),
        absent=("h.xlsx",),
        unchanged=("h.db",),
    ),
    CliCase(
        id="export-history-to-csv",
        argv=("export-history", "--history", "h.db", "-o", "h.csv"),
        files={"h.db": HISTORY},
        status=0,
        stderr=("2 snapshot rows -> h.csv",),
    ),
    # -- a history file is created only by a command that writes
    *(_reader(name, argv) for name, argv in READERS.items()),
    CliCase(
        id="history-missing-override-revoke",
        argv=("override", "--history", "h.db", "--revoke", "abc", "--author", "dana"),
        stderr=("h.db does not exist",),
        absent=("h.db",),
    ),
    CliCase(
        id="history-created-by-score",
        argv=(*SCORE, "--history", "h.db", "--as-of", "2026-06-30"),
        files={"a.csv": ACCOUNTS},
        status=0,
        stderr=("created history file h.db", "snapshot as of 2026-06-30"),
    ),
    CliCase(
        id="history-created-by-override",
        argv=_set_override("--band", "red", reason="champion left"),
        status=0,
        stderr=("created history file h.db",),
    ),
    CliCase(
        id="history-not-created-by-a-failed-override",
        argv=_set_override("--score", "150"),
        stderr=("must be a number from 0 to 100", "150"),
        absent=("h.db", "h.db-wal", "h.db-shm"),
    ),
    CliCase(
        id="override-into-an-existing-history",
        argv=_set_override("--score", "10"),
        files={"h.db": HISTORY},
        status=0,
        check=lambda folder: _one_override(folder / "h.db"),
    ),
    # -- history paths that are not a history
    CliCase(
        id="history-is-a-text-file",
        argv=READERS["actions"],
        files={"h.db": "account_id,score\nA1,50\n"},
        stderr=("history file h.db is not a SQLite history database",),
        unchanged=("h.db",),
    ),
    CliCase(
        id="history-is-random-bytes",
        argv=READERS["history"],
        files={"h.db": RANDOM_BYTES},
        stderr=("history file h.db is not a SQLite history database",),
        unchanged=("h.db",),
    ),
    CliCase(
        id="history-is-random-bytes-override",
        argv=_set_override("--score", "10"),
        files={"h.db": RANDOM_BYTES},
        stderr=("history file h.db is not a SQLite history database",),
        unchanged=("h.db",),
    ),
    CliCase(
        id="history-is-a-folder",
        argv=READERS["actions"],
        files={"h.db/inside.txt": ""},
        stderr=("history file h.db is a folder",),
    ),
    CliCase(
        id="history-is-a-folder-score",
        argv=(*SCORE, "--history", "h.db"),
        files={"a.csv": ACCOUNTS, "h.db/inside.txt": ""},
        stderr=("history file h.db is a folder",),
        absent=("out.csv",),
    ),
    CliCase(
        id="history-in-a-missing-folder",
        argv=("actions", "--history", "nowhere/h.db"),
        stderr=("history file nowhere/h.db: the folder nowhere does not exist",),
        absent=("nowhere",),
    ),
    CliCase(
        id="history-in-a-missing-folder-score",
        argv=(*SCORE, "--history", "nowhere/h.db"),
        files={"a.csv": ACCOUNTS},
        stderr=("the folder nowhere does not exist",),
        absent=("nowhere", "out.csv"),
    ),
    CliCase(
        id="history-sqlite-but-not-a-history",
        argv=READERS["actions"],
        files={"h.db": b""},
        stderr=("not a healthscore history",),
        unchanged=("h.db",),
    ),
    ApiCase(id="history-read-only-file-is-readable", call=_read_only_history, check=_reads_read_only),
    # -- model files
    CliCase(
        id="model-not-utf8",
        argv=("validate-model", "m.toml"),
        files={"m.toml": NOT_UTF8_MODEL},
        stderr=("m.toml", "not UTF-8", "0xe9"),
    ),
    CliCase(
        id="model-not-utf8-score",
        argv=(*SCORE, "--model", "m.toml"),
        files={"a.csv": ACCOUNTS, "m.toml": NOT_UTF8_MODEL},
        stderr=("m.toml", "not UTF-8"),
        absent=("out.csv",),
    ),
    # -- outputs that cannot be written
    CliCase(
        id="output-in-a-missing-folder",
        argv=("score", "a.csv", "-o", "nowhere/out.csv"),
        files={"a.csv": ACCOUNTS},
        stderr=("-o nowhere/out.csv: the folder nowhere does not exist",),
        absent=("nowhere",),
    ),
    CliCase(
        id="output-is-a-folder",
        argv=("score", "a.csv", "-o", "d"),
        files={"a.csv": ACCOUNTS, "d/inside.txt": ""},
        stderr=("-o d: is a folder",),
    ),
    CliCase(
        id="output-is-empty",
        argv=("score", "a.csv", "-o", ""),
        files={"a.csv": ACCOUNTS},
        stderr=("-o: the output path is empty",),
    ),
    CliCase(
        id="output-signals-in-a-missing-folder",
        argv=("signals", "exports", "--as-of", "2026-06-30", "-o", "nowhere/s.csv"),
        files={
            "exports/accounts.csv": "account_id,segment,contract_term_months,seats_purchased,arr\nA1,smb,12,5,100\n"
        },
        stderr=("the folder nowhere does not exist",),
        absent=("nowhere",),
    ),
    CliCase(
        id="output-fit-replaces-its-data",
        argv=("fit", "reweight", "d.csv", "--outcome", "churned", "--model", "m.toml", "-o", "d.csv"),
        files={"d.csv": "account_id,churned\nA1,1\n", "m.toml": 'name = "x"\n'},
        stderr=("is the input file d.csv",),
        unchanged=("d.csv",),
    ),
    CliCase(
        id="output-backtest-report-in-a-missing-folder",
        argv=("backtest", "--scores", "s.csv", "--churn", "churn.csv", "-o", "nowhere/r.txt"),
        files={"s.csv": "account_id,as_of,score,band\nA1,2026-06-30,50,red\n", "churn.csv": CHURN},
        stderr=("-o nowhere/r.txt: the folder nowhere does not exist",),
    ),
    CliCase(
        id="output-init-model-empty",
        argv=("init-model", "dear", "-o", ""),
        stderr=("the output path is empty",),
    ),
    ApiCase(
        id="output-unwritable-folder",
        call=_unwritable_folder,
        raises=InputError,
        match=r"cannot write .*out\.csv: Permission denied",
    ),
    ApiCase(
        id="output-write-atomic-missing-folder",
        call=lambda folder: write_atomic(folder / "nowhere" / "out.csv", "x"),
        raises=InputError,
        match=r"the folder .*nowhere does not exist",
    ),
    ApiCase(
        id="output-write-atomic-empty-path",
        call=lambda folder: write_atomic("", "x"),
        raises=InputError,
        match="empty path",
    ),
    # -- arguments out of range
    CliCase(id="demo-accounts-0", argv=("demo", "--accounts", "0"), stderr=("--accounts must be at least 1, got 0",)),
    CliCase(id="demo-accounts-negative", argv=("demo", "--accounts", "-5"), stderr=("got -5",)),
    CliCase(id="demo-top-negative", argv=("demo", "--top", "-1"), stderr=("--top must be 0 or more",)),
    # -- interruptions
    ApiCase(id="stdout-reader-gone", call=_closed_pipe, check=_quiet_pipe_exit),
    ApiCase(id="ctrl-c", call=_interrupted, check=_exits_130),
]


def _one_override(path: Path) -> None:
    with open_history(path, read_only=True) as store:
        found = store.overrides()
        assert [(o.account_id, o.score) for o in found] == [("A1", 10.0)]
        assert len(store.snapshots()) == 1  # the snapshot already there is kept


def _fail(name: str) -> None:
    raise AssertionError(f"{name} does not hold what was expected")
