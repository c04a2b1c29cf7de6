"""Runs written by the real pipeline on the scripted fake, stopped part-way and resumed through `personagen run
--resume` (the CLI, in-process): persona i writes the i-th text of each emotion (concurrency 1), also after a
resume (the resumed script starts at the first persona not done)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import personagen.pipeline
from personagen.cli import app
from personagen.graph.runner import RunControl
from personagen.pipeline import SilentObserver, execute
from personagen.settings import Settings
from tests.evaluation.pipeline_runs import CRITICS, merged, texts_script
from tests.fakes import FakeModels, ScriptedChat


class StopAfter(SilentObserver):
    """Stops the run (status interrupted, as Ctrl-C does) once `personas` personas are done."""

    def __init__(self, control: RunControl, personas: int) -> None:
        self.control, self.left = control, personas

    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.left -= 1
        if self.left <= 0:
            self.control.stop("interrupted", "stopped by the test")


def fake_models(texts: dict[str, list[str]], skip: int = 0):
    chat = ScriptedChat(script=texts_script({e: items[skip:] for e, items in texts.items()}))
    return lambda *args, **kwargs: FakeModels(default=chat)


def settings_of(texts: dict[str, list[str]], run: dict[str, Any]) -> Settings:
    base = {"emotions": ",".join(texts), "texts_per_emotion": 1, "seed": 3, "concurrency": 1}
    return Settings.model_validate(merged({"run": base, "critics": {"enable": CRITICS}}, {"run": run}))


def write_run(runs_dir: Path, run_id: str, texts: dict[str, list[str]], run: dict[str, Any],
              stop_after: int | None = None) -> Path:
    """`personagen run` on the scripted model, stopped after `stop_after` personas when given."""
    control = RunControl()
    observer = StopAfter(control, stop_after) if stop_after else SilentObserver()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(personagen.pipeline, "ModelSet", fake_models(texts))
        execute(settings_of(texts, run), runs_dir, run_id, observer, control=control)
    return runs_dir / run_id


def resume(folder: Path, texts: dict[str, list[str]], *options: str):
    """`personagen run --resume RUN OPTIONS` on the scripted model; the click result."""
    done = len(rows(folder / "personas.jsonl"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(personagen.pipeline, "ModelSet", fake_models(texts, skip=done))
        return CliRunner().invoke(app, ["run", "--resume", folder.name, "--runs-dir", str(folder.parent), "-q",
                                        *options])


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
