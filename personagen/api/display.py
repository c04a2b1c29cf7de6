"""What a Python caller sees of a run: a live display in a notebook, a progress bar on stderr elsewhere, or nothing.

Both are the terminal trace's observer (personagen/trace.py: the same bar, counts and notes), without the per-event
trace lines. rich draws live views in Jupyter only through ipywidgets, so in a notebook the view is an IPython
display (HTML, plus text) that the waiting thread updates in place (`refresh`): no escape codes, no extra package.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.text import Text

from personagen.agents.events import Event
from personagen.trace import TerminalTrace, summary_table

WIDTH = 110
WIDE = 200  # views rich drew at its notebook width (115) are shown as drawn, never wrapped again
# rich's own Jupyter wrapper (rich/jupyter.py) uses this <pre> style
PRE = ('<pre style="white-space:pre;overflow-x:auto;line-height:normal;'
       "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>")


def mimebundle(renderable: RenderableType, width: int = WIDTH) -> dict[str, str]:
    """A rich renderable as a notebook output: HTML with inline styles, and plain text."""
    console = Console(record=True, file=io.StringIO(), width=width, force_terminal=True, force_jupyter=False,
                      color_system="truecolor")
    console.print(renderable)
    text = console.export_text(clear=False)
    return {"text/plain": text.rstrip("\n"), "text/html": console.export_html(inline_styles=True, code_format=PRE)}


class Output:
    """A notebook output of a mimebundle."""

    def __init__(self, bundle: dict[str, str]) -> None:
        self.bundle = bundle

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, str]:
        return self.bundle


def draw(paint: Callable[[], None]) -> None:
    """Run `paint` (a CLI view printed with rich). In a notebook, where rich makes each print its own output
    with escape codes in its text, what it draws is collected and shown as one output, HTML and plain text."""
    if not in_notebook():
        paint()
        return
    from IPython.display import display
    from IPython.utils.capture import capture_output

    with capture_output(stdout=True, stderr=False, display=True) as captured:
        paint()
    texts = [o.data.get("text/plain", "") for o in captured.outputs] + [captured.stdout]
    view = Group(*[Text.from_ansi(t.rstrip("\n"), no_wrap=True, overflow="ignore") for t in texts if t.strip()])
    display(Output(mimebundle(view, width=WIDE)))


def in_notebook() -> bool:
    """Whether this is a Jupyter kernel (rich's own test)."""
    return Console().is_jupyter


class QuietDisplay:
    """quiet=True: nothing is shown."""

    def note(self, text: str) -> None: ...
    def planned(self, todo: int) -> None: ...
    def event(self, event: Event) -> None: ...
    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None: ...
    def refresh(self) -> None: ...
    def close(self, folder: Any, summary: dict[str, Any] | None) -> None: ...


class TerminalDisplay(TerminalTrace):
    """The CLI's progress bar on stderr (redrawn by rich's own thread), then the summary table."""

    def __init__(self, total: int | None) -> None:
        super().__init__(Console(stderr=True), total, trace=False)  # type: ignore[arg-type]
        self.__enter__()

    def refresh(self) -> None: ...

    def close(self, folder: Any, summary: dict[str, Any] | None) -> None:
        self.__exit__(None, None, None)
        if summary is not None:
            self.console.print(summary_table(str(folder), summary))


class NotebookDisplay(TerminalTrace):
    """One notebook output, updated in place: notes, the progress bar, and at the end the summary table."""

    def __init__(self, total: int | None) -> None:
        from IPython.display import display

        super().__init__(Console(file=io.StringIO()), total, trace=False)  # type: ignore[arg-type]
        self.notes: list[str] = []
        self.table: Any = None
        self.handle = display(self, display_id=True)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def refresh(self) -> None:
        if self.handle is not None:
            self.handle.update(self)

    def close(self, folder: Any, summary: dict[str, Any] | None) -> None:
        if summary is not None:
            self.table = summary_table(str(folder), summary)
        self.refresh()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, str]:
        notes = [Text.from_markup(f"[yellow]note:[/] {escape(n)}") for n in list(self.notes)]
        parts = [*notes, self.progress.get_renderable(), *([self.table] if self.table is not None else [])]
        return mimebundle(Group(*parts))


def open_display(req: Any, quiet: bool) -> Any:
    """The display of a run request: none when quiet, in a notebook its own output, else stderr."""
    if quiet:
        return QuietDisplay()
    total = None if req.settings.run.texts else req.settings.run.personas
    return NotebookDisplay(total) if in_notebook() else TerminalDisplay(total)
