"""HTML for people: the one templating set-up of the notebook displays and the
dashboard (:mod:`healthscore.report`).

Templates live in ``healthscore/templates`` and are rendered by Jinja2 (the
``report`` extra) with autoescaping on for every template: a value from data
or config -- an account name, a segment, an override reason, a playbook step --
is escaped where it lands, in text and in attributes, and ``tojson`` keeps
JSON inside a ``<script>`` from closing its tag. Words come from the language
catalogues (:mod:`healthscore._i18n`), never from a template.

Jinja2 is imported when a display is first rendered, never by
``import healthscore``.
"""

from __future__ import annotations

import functools
from typing import Any

from healthscore._i18n import Catalogue, catalogue

__all__ = ["INSTALL_HINT", "environment", "render"]

INSTALL_HINT = "HTML displays need Jinja2: pip install 'healthscore[report]'"


@functools.cache
def environment() -> Any:
    """The Jinja2 environment of the package's templates (autoescaping on,
    undefined names an error).

    Raises:
        ImportError: Jinja2 is not installed; the message says how to install it.
    """
    try:
        import jinja2  # noqa: PLC0415 -- optional extra: report
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("healthscore", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template: str, *, lang: str = "en", **context: Any) -> str:
    """Render one of the package's templates with the catalogue of ``lang``
    (as ``t`` in the template) and ``context``."""
    words: Catalogue = catalogue(lang)
    return str(environment().get_template(template).render(t=words, **context))
