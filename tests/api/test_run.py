"""personagen.run / arun: inside a running event loop, Ctrl-C, bad input and unfinished runs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time

import pytest
from typer.testing import CliRunner

import personagen
from bench.stub_process import start_stub
from personagen.cli import app
from personagen.critics import critic, isolated_registry, reject
from personagen.errors import InputError, PersonaGenError
from personagen.pipeline import execute
from personagen.settings import ConfigError, load_settings
from tests.api.conftest import SMALL


def dataset(run: personagen.Run) -> list[tuple[str, str]]:
    return sorted((r["id"], r["text"]) for r in run.records)


def test_run_and_arun_work_inside_a_running_event_loop(tmp_path, stub_url, made):
    async def cell():  # a Jupyter cell runs in the kernel's event loop
        same = personagen.run(personas=3, runs_dir=tmp_path, run_id="sync", base_url=stub_url, **SMALL)
        awaited = await personagen.arun(personas=3, runs_dir=tmp_path, run_id="async", base_url=stub_url, **SMALL)
        return same, awaited

    same, awaited = asyncio.run(cell())
    assert same.status == awaited.status == "finished" and same.exit_code == 0
    assert dataset(same) == dataset(awaited) == dataset(made) and len(made.records) == 6


def test_the_pipeline_refuses_a_running_loop_before_writing_anything(tmp_path, stub_url):
    settings = load_settings(None, run={"personas": 1}, models={"base_url": stub_url, "model": "stub"})

    async def cell():
        execute(settings, tmp_path, "x")

    with pytest.raises(InputError, match=r"personagen.run\(...\), or await personagen.arun"):
        asyncio.run(cell())
    assert list(tmp_path.iterdir()) == []  # `personagen runs` has no crashed run to list


def interrupt_when(path, rows: int) -> threading.Thread:
    """Send SIGINT to this process (Ctrl-C) once `path` holds `rows` lines."""
    def watch() -> None:
        while not (path.exists() and path.read_text().count("\n") >= rows):
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_ctrl_c_marks_the_run_interrupted_then_raises_and_resume_finishes_it(tmp_path, made):
    with start_stub(latency=0.1) as (_, slow_url):
        interrupt_when(tmp_path / "stopped" / "personas.jsonl", 1)
        with pytest.raises(KeyboardInterrupt, match="run interrupted: stopped by the user"):
            personagen.run(personas=3, runs_dir=tmp_path, run_id="stopped", base_url=slow_url, concurrency=1,
                           **SMALL)
        stopped = personagen.load("stopped", runs_dir=tmp_path)
        assert stopped.status == "interrupted" and stopped.exit_code == 1
        assert 1 <= len(stopped.personas) < 3
        assert "personagen run --resume stopped" in stopped.summary["message"]
        resumed = stopped.resume(base_url=slow_url, quiet=True)
    assert resumed.status == "finished" and dataset(resumed) == dataset(made)


def test_cancelling_arun_stops_the_run_resumably(tmp_path):
    with start_stub(latency=0.1) as (_, slow_url):
        async def cancel_midway():
            task = asyncio.create_task(personagen.arun(personas=3, runs_dir=tmp_path, run_id="c", concurrency=1,
                                                       base_url=slow_url, **SMALL))
            while not (tmp_path / "c" / "personas.jsonl").exists():
                await asyncio.sleep(0.02)
            task.cancel()
            await task

        with pytest.raises(asyncio.CancelledError):
            asyncio.run(cancel_midway())
    assert personagen.load(tmp_path / "c").status == "interrupted"


def test_bad_input_raises_the_cli_message_and_writes_nothing(tmp_path, stub_url):
    with pytest.raises(ConfigError) as raised:
        personagen.run(personas=0, runs_dir=tmp_path, base_url=stub_url, model="stub", quiet=True)
    cli = CliRunner().invoke(app, ["run", "-n", "0", "--runs-dir", str(tmp_path), "--base-url", stub_url])
    assert cli.exit_code == raised.value.exit_code == 2 and str(raised.value) in " ".join(cli.output.split())
    assert isinstance(raised.value, personagen.PersonaGenError) and personagen.PersonaGenError is PersonaGenError
    with pytest.raises(ConfigError, match="unknown critic"):
        personagen.run(personas=1, runs_dir=tmp_path, base_url=stub_url, model="stub", no_critic="nope")
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_keeps_nothing_raises_run_ended_with_the_cli_exit_code(tmp_path, stub_url):
    with isolated_registry():
        @critic("no_texts", stage="expression", description="rejects every text")
        def no_texts(candidate):
            return reject("no text is good enough")

        with pytest.raises(personagen.RunEnded) as raised:
            personagen.run(personas=1, runs_dir=tmp_path, run_id="f", base_url=stub_url, **SMALL)
    ended = raised.value
    assert ended.exit_code == 1 and ended.run.status == "failed" and ended.run.records == []
    assert str(ended).startswith("run failed: ") and f"(partial results kept in {tmp_path / 'f'})" in str(ended)
    assert "critic no_texts" in str(ended)
    assert json.loads((tmp_path / "f" / "summary.json").read_text())["critics"]["no_texts"]["rejected"] > 0


def test_run_takes_every_option_of_the_cli_run_command():
    import inspect

    from personagen.commands.run import run as run_command

    # --estimate/--pilot print a projection (a CLI view); from Python a pilot is run(personas=K), then resume with N;
    # --cancel-batches is an action on a stopped run, not a run
    cli = set(inspect.signature(run_command).parameters) - {"as_json", "ray", "ray_address", "ray_shards",
                                                            "estimate", "pilot", "cancel_batches"}
    api = set(inspect.signature(personagen.run).parameters)
    assert cli == api == set(inspect.signature(personagen.arun).parameters)
