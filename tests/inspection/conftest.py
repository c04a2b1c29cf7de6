"""Fixtures for the inspection tests: a CLI app with only the inspection commands, and run folders."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from personagen.commands.inspect import register
from tests.inspection.plugin_helpers import clean_registry, installed_plugin
from tests.inspection.runfolder import write_run


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


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    """Four runs: finished, failed, still running (live lock, torn last lines) and crashed (dead lock)."""
    runs = tmp_path / "runs"
    host = socket.gethostname()
    write_run(runs, "20261126-130501-aaaa", status="finished", created="2026-11-26T13:05:01Z")
    write_run(runs, "20261126-140000-bbbb", status="failed", created="2026-11-26T14:00:00Z")
    write_run(
        runs,
        "20261126-150000-cccc",
        status=None,
        lock={"pid": os.getpid(), "host": host},
        torn=True,
        created="2026-11-26T15:00:00Z",
    )
    write_run(
        runs,
        "20261126-160000-dddd",
        status=None,
        lock={"pid": dead_pid(), "host": host},
        torn=True,
        created="2026-11-26T16:00:00Z",
    )
    return runs


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
