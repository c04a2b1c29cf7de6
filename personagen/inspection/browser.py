"""`personagen browse RUN`: a small keyboard-driven browser of one run's personas and their journeys.

Input: a `Run` (personagen.inspection.reader). Output: a Textual app: the personas on the left (id, status,
age/gender/occupation, texts accepted/dropped, rejections), the highlighted persona's journey on the right
(the steps of `personagen inspect RUN --persona ID`, drawn by the same render helpers).
Keys: arrows move, Enter scrolls the journey (Escape goes back), `p` prompts and raw answers, `r` only
personas with a rejection, `q` quits. Needs the optional dependency Textual (`pip install 'personagen[tui]'`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from personagen.agents.events import LlmCallEvent, SampleEvent
from personagen.inspection import journey_view
from personagen.inspection.funnel import rejection_list
from personagen.inspection.journey import Journey, journey
from personagen.inspection.reader import Run

STATUS_STYLE = {"accepted": "green", "dropped": "red", "unfinished": "cyan"}
STEP_PREFIX = 14  # the width of a step line's "  n +  t.tts " column (journey_view.step_line)


@dataclass
class PersonaRow:
    """One line of the persona list."""

    id: str
    status: str
    who: str
    accepted: int | None
    dropped: int | None
    rejections: int

    def cells(self) -> tuple[Text, ...]:
        texts = "" if self.accepted is None else f"{self.accepted}/{self.dropped or 0}"
        return (
            Text(self.id),
            Text(self.status, style=STATUS_STYLE.get(self.status, "")),
            Text(self.who, overflow="ellipsis", no_wrap=True),
            Text(texts, justify="right"),
            Text(str(self.rejections or ""), style="red", justify="right"),
        )


def _who(base: Any) -> str:
    """'34 female Registered Nurses' from a base persona (or '?')."""
    if not isinstance(base, dict):
        return "?"
    parts = [str(base[k]) for k in ("age", "gender", "occupation") if base.get(k) not in (None, "")]
    return " ".join(parts) or "?"


def persona_rows(run: Run) -> list[PersonaRow]:
    """Every persona of the run, finished (personas.jsonl) or still going (events only), by id."""
    rejections = Counter(str(r["persona_id"]) for r in rejection_list(run.events) if r["persona_id"])
    rows: dict[str, PersonaRow] = {}
    for p in run.personas:
        pid, texts = str(p.get("id") or ""), p.get("texts") if isinstance(p.get("texts"), dict) else {}
        if pid:
            status, who = str(p.get("status") or "?"), _who(p.get("base"))
            counts = int(texts.get("accepted") or 0), int(texts.get("dropped") or 0)
            rows[pid] = PersonaRow(pid, status, who, *counts, rejections[pid])
    for event in run.events:
        pid = event.persona_id
        if not pid or (pid in rows and rows[pid].status != "unfinished"):
            continue
        row = rows.setdefault(pid, PersonaRow(pid, "unfinished", "?", None, None, rejections[pid]))
        if isinstance(event, SampleEvent):
            row.who = _who(event.data.model_dump())
    return sorted(rows.values(), key=lambda r: r.id)


def _hanging(line: Text) -> Table:
    """A step line whose wrapped part stays right of its number and time column."""
    grid = Table.grid()
    grid.add_column(width=STEP_PREFIX, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(line[:STEP_PREFIX], line[STEP_PREFIX:])
    return grid


def journey_pane(j: Journey) -> RenderableType:
    """The journey as one rich renderable: what `inspect --persona` prints, for a scrolling pane."""
    parts: list[RenderableType] = [journey_view.persona_panel(j)]
    if not j.steps:
        parts.append(Text("No events yet.", style="dim"))
    for step in j.steps:
        parts.append(_hanging(journey_view.step_line(step)))
        if isinstance(step.event, LlmCallEvent):
            parts.extend(journey_view.call_details(step))
    if j.records:
        table = Table(title="Accepted texts", title_justify="left", expand=True)
        table.add_column("record")
        table.add_column("emotion", style="cyan")
        table.add_column("text", overflow="fold", ratio=1)
        for r in j.records:
            table.add_row(str(r.get("id")), str(r.get("emotion")), str(r.get("text")))
        parts.append(table)
    return Group(*parts)


class RunBrowser(App[None]):
    """Personas on the left, the highlighted persona's journey on the right."""

    TITLE = "personagen browse"
    CSS = """
    #personas { width: 64; border-right: solid $primary; }
    #journey { padding: 0 1; }
    """
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("p", "toggle_prompts", "prompts"),
        Binding("r", "toggle_rejected", "only rejected"),
        Binding("escape", "focus_list", "back to list", show=False),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run_data = run
        self.rows = persona_rows(run)
        self.show_prompts = False
        self.only_rejected = False
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(id="personas", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="journey"):
                yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.set_subtitle()
        table = self.query_one("#personas", DataTable)
        for label, width in (("persona", 8), ("status", 10), ("who", 26), ("texts", 5), ("rej", 3)):
            table.add_column(label, width=width)
        self.fill_table()
        for message in self.run_data.warnings:
            self.notify(message, severity="warning", timeout=8)

    def set_subtitle(self) -> None:
        """Run id and status, and which toggles are on."""
        notes = ["only rejected"] * self.only_rejected + ["prompts"] * self.show_prompts
        self.sub_title = " · ".join([f"{self.run_data.id} ({self.run_data.status})", *notes])

    def visible_rows(self) -> list[PersonaRow]:
        """The rows the list shows: all, or (with `r`) those with a rejection or a drop."""
        if not self.only_rejected:
            return self.rows
        return [r for r in self.rows if r.rejections or r.status == "dropped"]

    def fill_table(self) -> None:
        table = self.query_one("#personas", DataTable)
        table.clear()
        for row in self.visible_rows():
            table.add_row(*row.cells(), key=row.id)
        table.focus()
        if not table.row_count:
            self.current = None
            self.query_one("#detail", Static).update(Text("No personas to show.", style="dim"))

    def show(self, persona_id: str | None) -> None:
        """Draw the journey of persona_id in the right pane."""
        self.current = persona_id
        if persona_id is None:
            return
        view = journey_pane(journey(self.run_data, persona_id, prompts=self.show_prompts))
        self.query_one("#detail", Static).update(view)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.row_key.value)
        self.query_one("#journey", VerticalScroll).scroll_home(animate=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.query_one("#journey", VerticalScroll).focus()

    def action_focus_list(self) -> None:
        self.query_one("#personas", DataTable).focus()

    def action_toggle_prompts(self) -> None:
        self.show_prompts = not self.show_prompts
        self.set_subtitle()
        self.show(self.current)

    def action_toggle_rejected(self) -> None:
        self.only_rejected = not self.only_rejected
        self.set_subtitle()
        self.fill_table()
