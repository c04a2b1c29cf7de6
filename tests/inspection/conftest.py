"""Fixtures for the inspection tests: a CLI app with only the inspection commands, and run folders written by
the real pipeline on a scripted model (tests/inspection/real_runs.py), built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from personagen.commands.inspect import register
from tests.inspection.plugin_helpers import clean_registry, installed_plugin
from tests.inspection.real_runs import write_runs


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


@pytest.fixture
def cli(app: typer.Typer):
    """Invoke the app: cli("inspect", "RUN", ...) -> click Result (stdout and stderr apart)."""
    runner = CliRunner(env={"COLUMNS": "200"})

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four real runs: finished, failed, running (live lock, torn last line) and crashed (dead lock, torn last
    line). Shared by the whole session: tests that change a run use `runs_copy`."""
    return write_runs(tmp_path_factory.mktemp("inspection") / "runs")


@pytest.fixture
def runs_copy(runs_dir: Path, tmp_path: Path) -> Path:
    """A copy of `runs_dir` of this test's own."""
    return Path(shutil.copytree(runs_dir, tmp_path / "runs"))


@pytest.fixture
def registry_snapshot() -> Iterator[None]:
    """The critic registry restored after the test."""
    with clean_registry():
        yield


@pytest.fixture
def example_critic(tmp_path: Path) -> Iterator[list[str]]:
    """The worked example plug-in (examples/critics) installed through its entry point."""
    with installed_plugin(tmp_path) as modules:
        yield modules
