"""The package version, read from the installed distribution's metadata, so
that ``pyproject.toml`` is the only place it is written."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__: str = version("healthscore")
except PackageNotFoundError:  # pragma: no cover -- a source tree on sys.path that was never installed
    __version__ = "0+unknown"
