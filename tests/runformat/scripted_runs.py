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
from tests.fakes import FakeModels, ScriptedChat, last_field


class StopAfter(SilentObserver):
    """Stops the run (status interrupted, as Ctrl-C does) once `personas` personas are done."""

    def __init__(self, control: RunControl, personas: int) -> None:
        self.control, self.left = control, personas

    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.left -= 1
        if self.left <= 0:
            self.control.stop("interrupted", "stopped by the test")


def fake_models(texts: dict[str, list[str]], skip: int = 0, broken: frozenset[str] = frozenset()):
    """The scripted model; the writer's answers for the emotions in `broken` never parse (a model error)."""
    script = texts_script({e: items[skip:] for e, items in texts.items()})
    write = script["Texts"]

    def texts_or_garbage(prompt: str) -> Any:
        return '{"texts": ["cut sho' if last_field(prompt, "Emotion") in broken else write(prompt)

    script["Texts"] = texts_or_garbage
    return lambda *args, **kwargs: FakeModels(default=ScriptedChat(script=script))


def settings_of(texts: dict[str, list[str]], run: dict[str, Any]) -> Settings:
    base = {"emotions": ",".join(texts), "texts_per_emotion": 1, "seed": 3, "concurrency": 1}
    return Settings.model_validate(merged({"run": base, "critics": {"enable": CRITICS}}, {"run": run}))


def write_run(runs_dir: Path, run_id: str, texts: dict[str, list[str]], run: dict[str, Any],
              stop_after: int | None = None, broken: frozenset[str] = frozenset()) -> Path:
    """`personagen run` on the scripted model, stopped after `stop_after` personas when given."""
    control = RunControl()
    observer = StopAfter(control, stop_after) if stop_after else SilentObserver()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(personagen.pipeline, "ModelSet", fake_models(texts, broken=broken))
        execute(settings_of(texts, run), runs_dir, run_id, observer, control=control)
    return runs_dir / run_id


def invoke(texts: dict[str, list[str]], *args: str, skip: int = 0):
    """`personagen ARGS` in-process, the scripted model behind every run it makes; the click result."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(personagen.pipeline, "ModelSet", fake_models(texts, skip=skip))
        return CliRunner().invoke(app, list(args))


def resume(folder: Path, texts: dict[str, list[str]], *options: str):
    """`personagen run --resume RUN OPTIONS` on the scripted model (starting at the first persona not done)."""
    return invoke(texts, "run", "--resume", folder.name, "--runs-dir", str(folder.parent), "-q", *options,
                  skip=len(rows(folder / "personas.jsonl")))


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
