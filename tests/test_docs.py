"""The docs' examples run, and print what the docs show.

A page's ```python blocks run in order in one namespace (a later block uses
what an earlier one made), in a fresh folder. A python block followed by a
```text block (with only prose between) must print exactly that text. The
pages checked are listed in ``PAGES``; a page joins the list once each of its
examples runs as it stands.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]

PAGES = (
    "docs/bands-and-alerts.md",
    "docs/decay.md",
    "docs/hierarchies.md",
    "docs/index.md",
    "docs/models.md",
    "docs/notebooks.md",
)
"""The pages whose examples run here."""

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@attrs.frozen(kw_only=True)
class Example:
    """A python block, the line it starts on, and the output shown after it (if any)."""

    code: str
    line: int
    shown: str | None


def examples(text: str) -> list[Example]:
    """The python blocks of a markdown page, each with the text block that
    follows it, when one does before the next python block."""
    blocks = [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in _FENCE.finditer(text)]
    found = []
    for i, (lang, body, line) in enumerate(blocks):
        if lang != "python":
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        shown = after[1] if after is not None and after[0] == "text" else None
        found.append(Example(code=body, line=line, shown=shown))
    return found


def test_examples_pairs_code_with_the_output_after_it() -> None:
    page = "```python\nprint(1)\n```\n\nOutput:\n\n```text\n1\n```\n\n```python\nx = 2\n```\n```bash\nls\n```\n"
    assert examples(page) == [
        Example(code="print(1)\n", line=1, shown="1\n"),
        Example(code="x = 2\n", line=11, shown=None),
    ]


def _trimmed(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.mark.parametrize("page", PAGES)
def test_the_examples_of_a_page_print_what_it_shows(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    found = examples((ROOT / page).read_text(encoding="utf-8"))
    assert any(e.shown is not None for e in found), f"{page} shows no output to check"
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for example in found:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(
                compile(example.code, f"{page}:{example.line}", "exec"), namespace
            )  # the page's own code, nothing else
        if example.shown is not None:
            assert _trimmed(printed.getvalue()) == _trimmed(example.shown), f"{page} line {example.line}"
