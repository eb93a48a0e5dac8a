"""MkDocs hooks for this site: click's no-rewrap blocks (a ``\\b`` line) stay as ``--help`` prints them.

mkdocs-click drops click's ``\\b`` marker and puts the lines under it into the page as Markdown, where they run
together into one paragraph (the usage examples of ``selfscore --help``); here they become a text block instead. It
wraps one function of mkdocs-click: if a new version renames it, the build stops here with an AttributeError rather
than rendering the help wrongly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from mkdocs_click import _docs

#: click's marker for "do not rewrap the next paragraph", a line holding only a backspace character
NO_REWRAP = "\b"


def _fenced(lines: Iterator[str]) -> Iterator[str]:
    inside = False
    for line in lines:
        if line.strip() == NO_REWRAP:
            yield from ("", "```text")
            inside = True
        elif inside and not line.strip():
            yield from ("```", "")
            inside = False
        else:
            yield line
    if inside:
        yield "```"


def _keeping_no_rewrap_blocks(make_docs: Callable[..., Iterator[str]]) -> Callable[..., Iterator[str]]:
    @functools.wraps(make_docs)
    def make(*args: Any, **kwargs: Any) -> Iterator[str]:
        return _fenced(make_docs(*args, **kwargs))

    make.keeps_no_rewrap_blocks = True  # type: ignore[attr-defined]
    return make


def on_config(config: Any) -> Any:
    if not getattr(_docs._make_description, "keeps_no_rewrap_blocks", False):
        _docs._make_description = _keeping_no_rewrap_blocks(_docs._make_description)
    return config
