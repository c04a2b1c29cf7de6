"""Fitting text on one line of a terminal: white space folded, cut to a width with an ellipsis where cut.

`one_line(value, width)` keeps the start of the text (a summary); `keep="end"` keeps its end (the last words of
a prompt, where the case is). For the live trace, the `personagen inspect` views and the drafts shown back to a
model in a rewrite (agents/drafting.py); in the domain package so that every layer may use it.
"""

from __future__ import annotations

from typing import Literal

ELLIPSIS = "…"


def one_line(value: object, width: int, *, keep: Literal["start", "end"] = "start") -> str:
    """`str(value)` with runs of white space folded to one space, at most `width` characters long."""
    text = " ".join(str(value).split())
    if len(text) <= width:
        return text
    room = max(width - len(ELLIPSIS), 0)
    return text[:room] + ELLIPSIS if keep == "start" else ELLIPSIS + text[len(text) - room :]
