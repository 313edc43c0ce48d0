"""Runs the hostile-input table in ``tests/hostile/``: every case gets its
expected exit status, message and output state, and never a traceback."""

from __future__ import annotations

import importlib
import io
import pkgutil
from pathlib import Path

import pytest

import hostile
from healthscore.cli import main
from hostile import ApiCase, CliCase


def _cases() -> list[CliCase | ApiCase]:
    found: list[CliCase | ApiCase] = []
    for info in pkgutil.iter_modules(hostile.__path__):
        if info.name.startswith("cases_"):
            found += importlib.import_module(f"hostile.{info.name}").CASES
    return found


CASES = _cases()


def _params(kind: type[CliCase | ApiCase]) -> list[object]:
    """The cases of one kind; a case marked ``known`` must fail until fixed."""
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xfail(reason=c.known, strict=True) if c.known else ())
        for c in CASES
        if isinstance(c, kind)
    ]


def _write(folder: Path, files: hostile.Files) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("case", _params(CliCase))
def test_cli_case(case: CliCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, case.files)
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    try:
        status = main(list(case.argv), stdout=out, stderr=err)
    except SystemExit as exc:  # argparse usage errors
        status = exc.code if isinstance(exc.code, int) else 2
    stdout, stderr = out.getvalue(), err.getvalue()
    assert status == case.status, f"exit {status}\nstdout: {stdout}\nstderr: {stderr}"
    assert "Traceback" not in stderr
    for fragment in case.stderr:
        assert fragment in stderr, f"{fragment!r} not in stderr: {stderr}"
    for fragment in case.stdout:
        assert fragment in stdout, f"{fragment!r} not in stdout: {stdout}"
    for name in case.absent:
        assert not (tmp_path / name).exists(), f"{name} was written"
    for name in case.unchanged:
        content = case.files[name]
        now = (tmp_path / name).read_bytes()
        assert now == (content if isinstance(content, bytes) else content.encode("utf-8")), f"{name} changed"
    if case.check is not None:
        case.check(tmp_path)


@pytest.mark.parametrize("case", _params(ApiCase))
def test_api_case(case: ApiCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if case.raises is not None:
        with pytest.raises(case.raises, match=case.match):
            case.call(tmp_path)
        return
    value = case.call(tmp_path)
    if case.check is not None:
        case.check(value)
