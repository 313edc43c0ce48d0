"""Test set-up: import paths and Hypothesis profiles.

Profiles (pick one with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``ci`` (default): 100 examples per property, no deadline.
* ``dev``: 30 examples, for quick local runs.
* ``thorough``: 1000 examples, for a nightly or pre-release run.

No profile has a deadline: timings vary between machines and a slow example is
not a wrong one (benchmarks live in ``benchmarks/``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import settings

TESTS = Path(__file__).resolve().parent

# Let test modules share ``strategies.py`` (pytest runs with
# --import-mode=importlib, which does not put the test folder on sys.path). The
# package itself is the installed one (``python3 dev.py test`` installs it).
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
