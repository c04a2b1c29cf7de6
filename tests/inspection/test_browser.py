"""`personagen browse RUN`: the Textual browser of personas and journeys, and its command's errors, on a run
written by the real pipeline and stopped hard in p000002's socio stage (tests/inspection/real_runs.py)."""

from __future__ import annotations

import asyncio
import builtins
import io
import json
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
from tests.inspection.real_runs import CRASHED as RUN_ID


@pytest.fixture
def run_folder(runs_dir: Path) -> Path:
    """The crashed run: p000000 accepted, p000001 dropped, p000002 unfinished (no summary, dead lock)."""
    return runs_dir / RUN_ID


def who(folder: Path, persona_id: str) -> str:
    """'34 female Registered Nurses': the sampled persona as the list shows it."""
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()[:-1]]
    base = [e["data"] for e in events if e["type"] == "sample" and e["persona_id"] == persona_id][-1]
    return f"{base['age']} {base['gender']} {base['occupation']}"


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
    assert [r.who for r in rows] == [who(run_folder, p) for p in ("p000000", "p000001", "p000002")]
    # p000000: plausibility and anger fidelity rejected once, scene_check failed; p000001: consistency thrice, a drop
    assert [r.rejections for r in rows] == [3, 4, 0]


def test_list_and_journey_follow_the_cursor(run_folder: Path) -> None:
    async def script(app: RunBrowser, pilot: Any) -> None:
        assert [row[:2] + row[3:] for row in listed(app)] == [
            ["p000000", "accepted", "2/0", "3"],
            ["p000001", "dropped", "0/0", "4"],
            ["p000002", "unfinished", "", ""],
        ]
        first = detail(app)
        assert "too young for the job: nobody is a surgeon at 19" in first and "Accepted texts" in first
        assert "scene_check could not load its word list" in first and "p000000-anger-0" in first
        await pilot.press("down")
        await pilot.pause()
        assert app.current == "p000001"
        second = detail(app)
        assert "religion contradicts beliefs" in second and "income too high for the job" in second
        assert "✘ rejected 0.20" in second
        assert "dropped: socio: 3 candidates rejected; last: income too high for the job" in second
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
        system = "Socio-cultural backgrounds of people."
        assert system not in detail(app)
        assert "in: …" in detail(app) and "Background:" in detail(app)
        await pilot.press("p")
        await pilot.pause()
        shown = detail(app)
        assert system in shown and "raw answer" in shown and '"beliefs": "values family"' in shown
        await pilot.press("p")
        await pilot.pause()
        assert system not in detail(app)
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
    result = browse(RUN_ID[:11], "--runs-dir", str(run_folder.parent))
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
