"""``python -m healthscore``: the same as the ``healthscore`` command."""

from __future__ import annotations

from healthscore.cli import run

if __name__ == "__main__":
    run()
