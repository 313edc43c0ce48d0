#!/usr/bin/env python3
"""Project runner: ``python3 dev.py demo`` and ``python3 dev.py test``.

Each command creates (or reuses) the virtual environment ``.venv`` beside this
file and installs what it needs into it, then runs. Needs only Python 3.11+.

* ``demo [ARGS]`` -- install the package with its ``demo`` extra (DuckDB for
  the signals, Jinja2 for the dashboard), run ``healthscore demo [ARGS]``.
* ``test [PYTEST ARGS]`` -- install the package with its test tools, then run
  ruff (lint and format check), mypy --strict on src and tests, pytest (with
  doctests), and a smoke run of the benchmarks.
* ``screenshots [ARGS]`` -- install the package with its test tools and take
  the docs' screenshots of the dashboard and the notebook displays in the real
  browser (Debian's ``chromium`` and ``chromium-driver``) into ``docs/images``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("HEALTHSCORE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".healthscore-installed"


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)


def _ensure_env(extra: str | None) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 -- the one check a too-old interpreter must reach
        sys.exit(f"healthscore needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    wanted = f"{digest} {extra or 'core'}"
    have = STAMP.read_text().split("\n") if STAMP.exists() else []
    if wanted in have or (extra is None and any(h.startswith(digest) for h in have)):
        return
    target = f".[{extra}]" if extra else "."
    status = _run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target)
    if status != 0:
        sys.exit(f"installing {target} failed (exit {status})")
    STAMP.write_text("\n".join([*[h for h in have if h.startswith(digest)], wanted]))


def demo(args: list[str]) -> int:
    _ensure_env("demo")  # the demo computes signals (DuckDB) and writes the dashboard
    return _run(PYTHON, "-m", "healthscore", "demo", *args)


def test(args: list[str]) -> int:
    _ensure_env("test")
    steps: list[list[str | Path]] = [
        [BIN / "ruff", "check", "src", "tests", "benchmarks", "docs/make_screenshots.py", "dev.py"],
        [BIN / "ruff", "format", "--check", "src", "tests", "benchmarks", "docs/make_screenshots.py", "dev.py"],
        [BIN / "mypy"],
        [PYTHON, "-m", "pytest", *args],
    ]
    smoke = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    steps += [[PYTHON, script, "--smoke"] for script in smoke]
    failed = []
    for step in steps:
        if _run(*step) != 0:
            failed.append(" ".join(str(s) for s in step[:3]))
    if failed:
        print("\nFAILED: " + "; ".join(failed), flush=True)
        return 1
    print("\nall checks passed", flush=True)
    return 0


def screenshots(args: list[str]) -> int:
    _ensure_env("test")
    return _run(PYTHON, ROOT / "docs" / "make_screenshots.py", *args)


def main() -> int:
    commands = {"demo": demo, "test": test, "screenshots": screenshots}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
