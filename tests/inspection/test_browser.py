"""`personagen browse RUN`: the Textual browser of personas and journeys, and its command's errors."""

from __future__ import annotations

import asyncio
import builtins
import io
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from personagen.commands.browse import MISSING_TEXTUAL, register
from personagen.inspection.browser import RunBrowser, persona_rows
from personagen.inspection.reader import Run
from tests.inspection.runfolder import write_run

RUN_ID = "20261126-130501-aaaa"


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    """The three-persona run of runfolder.py, stopped after p000002's base (no summary, dead lock)."""
    return write_run(tmp_path / "runs", RUN_ID, status=None)


def drive(folder: Path, script: Callable[[RunBrowser, Any], Awaitable[None]]) -> None:
    """Run the app headless on the run folder and play `script(app, pilot)` against it."""

    async def main() -> None:
        app = RunBrowser(Run(folder))
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.pause()
            await script(app, pilot)

    asyncio.run(main())


def detail(app: RunBrowser) -> str:
    """The right pane as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.query_one("#detail").content)
    return console.export_text()


def listed(app: RunBrowser) -> list[list[str]]:
    table = app.query_one("#personas")
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def test_persona_rows(run_folder: Path) -> None:
    rows = persona_rows(Run(run_folder))
    assert [(r.id, r.status, r.accepted, r.dropped) for r in rows] == [
        ("p000000", "accepted", 2, 0),
        ("p000001", "dropped", 0, 0),
        ("p000002", "unfinished", None, None),
    ]
    assert [r.who for r in rows] == ["34 female Registered Nurses"] * 3
    # p000000: base constraints and anger fidelity rejected once; p000001: consistency three times and a drop
    assert [r.rejections for r in rows] == [2, 4, 0]


def test_list_and_journey_follow_the_cursor(run_folder: Path) -> None:
    async def script(app: RunBrowser, pilot: Any) -> None:
        assert listed(app) == [
            ["p000000", "accepted", "34 female Registered Nurses", "2/0", "2"],
            ["p000001", "dropped", "34 female Registered Nurses", "0/0", "4"],
            ["p000002", "unfinished", "34 female Registered Nurses", "", ""],
        ]
        first = detail(app)
        assert "Surgeons needs age >= 27" in first and "Unbelievable" in first and "Accepted texts" in first
        await pilot.press("down")
        await pilot.pause()
        assert app.current == "p000001"
        second = detail(app)
        assert "religion contradicts beliefs" in second and "income too high for job" in second
        assert "✘ rejected 0.00" in second and "dropped: socio: consistency rejected 3 times" in second
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.current == "p000002" and "not finished yet" in detail(app)
        assert app.focused is app.query_one("#journey")
        await pilot.press("escape")
        assert app.focused is app.query_one("#personas")

    drive(run_folder, script)


def test_r_shows_only_rejected_personas(run_folder: Path) -> None:
    async def script(app: RunBrowser, pilot: Any) -> None:
        await pilot.press("r")
        await pilot.pause()
        assert [row[0] for row in listed(app)] == ["p000000", "p000001"]
        assert "only rejected" in app.sub_title
        await pilot.press("r")
        await pilot.pause()
        assert [row[0] for row in listed(app)] == ["p000000", "p000001", "p000002"]

    drive(run_folder, script)


def test_p_reveals_prompts_and_raw_answers(run_folder: Path) -> None:
    async def script(app: RunBrowser, pilot: Any) -> None:
        assert "You are the socio_enricher." not in detail(app)
        assert "in: Enrich: 34-year-old nurse" in detail(app)
        await pilot.press("p")
        await pilot.pause()
        shown = detail(app)
        assert "You are the socio_enricher." in shown and "raw answer" in shown and '"religion": "Catholic"' in shown
        await pilot.press("p")
        await pilot.pause()
        assert "You are the socio_enricher." not in detail(app)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(run_folder, script)


def browse(*args: str):
    application = typer.Typer()
    register(application)
    application.command("noop")(lambda: None)  # keep `browse` a subcommand
    return CliRunner(env={"COLUMNS": "200"}).invoke(application, ["browse", *args], catch_exceptions=False)


def test_command_starts_the_app(run_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(RunBrowser, "run", lambda self: started.append(self.run_data.id))
    result = browse("20261126", "--runs-dir", str(run_folder.parent))
    assert result.exit_code == 0 and started == [RUN_ID]


def test_unknown_run(run_folder: Path) -> None:
    result = browse("nope", "--runs-dir", str(run_folder.parent))
    assert result.exit_code == 2
    assert "'nope' is not a run in" in result.stderr and RUN_ID in result.stderr
    assert "Traceback" not in result.output


def test_textual_missing(run_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_textual(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "textual" or name.startswith("textual."):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "personagen.inspection.browser")
    monkeypatch.setattr(builtins, "__import__", no_textual)
    result = browse(RUN_ID, "--runs-dir", str(run_folder.parent))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {MISSING_TEXTUAL}"
    assert "Traceback" not in result.output
