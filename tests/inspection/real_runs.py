"""Run folders written by the real pipeline (`personagen.pipeline.execute` and its run store) on scripted models.

`write_runs(runs_dir)` writes, with the same settings (3 personas, joy and anger, one text each, concurrency 1 so
the script's answers land on the same personas every time):
- FINISHED: p000000 has its first base candidate judged implausible (a retry), the local critic `scene_check`
  fails on its scenario (an `error` event, skipped) and its first anger text reads as joy (a retry, then a
  rewrite); p000001 is judged inconsistent three times at the socio stage (two retries and a drop: dropped);
  p000002's first anger answer does not parse and its joy text never reads as joy (two retries, then the text
  is dropped).
- FAILED: every model answer is unparseable, so the early stop ends the run (status failed).
- RUNNING: the same run, stopped hard in p000002's socio stage (no summary; run.lock names this live process;
  p000002 has events but no row) with a torn last line in events.jsonl, as a write cut short leaves.
- CRASHED: RUNNING again, then its run.lock made to name a process that has exited (as a killed run leaves it).
`resume_run(runs_dir, run_id)` continues a run with `--resume` (a `resume` event).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import personagen.pipeline
from personagen.agents.events import Event, OutputEvent
from personagen.critics import CriticError, accept, critic, isolated_registry
from personagen.personas.models import Stage
from personagen.pipeline import SilentObserver, execute
from personagen.settings import Settings
from tests.fakes import FakeModels, ScriptedChat, good_script, last_field

FINISHED, FAILED = "20261126-130501-aaaa", "20261126-140000-bbbb"
RUNNING, CRASHED = "20261126-150000-cccc", "20261126-160000-dddd"
SCENE_CHECK_ERROR = "scene_check could not load its word list"
SETTINGS = {
    "run": {"personas": 3, "emotions": "joy,anger", "texts_per_emotion": 1, "seed": 7, "concurrency": 1},
    "critics": {"enable": ["plausibility", "copied_background", "consistency", "copied_scene", "scene_check",
                           "duplicates", "text_shape", "emotion_fidelity"]},  # named: new built-ins change nothing
}

PLAUSIBLE = {"reason": "fine", "plausible": True, "confidence": 0.9}
IMPLAUSIBLE = {"reason": "too young for the job: nobody is a surgeon at 19", "plausible": False, "confidence": 0.9}
CONTRADICTS = {"reason": "religion contradicts beliefs", "plausible": False, "confidence": 0.8}
TOO_RICH = {"reason": "income too high for the job", "plausible": False, "confidence": 0.8}


def script() -> dict[str, Any]:
    """The answers behind FINISHED (and RUNNING), keyed on what the prompt asks, counted per question."""
    script, asked = good_script(), Counter()
    texts, reading = script["Texts"], script["EmotionReading"]
    plausibility, consistency = [IMPLAUSIBLE], [PLAUSIBLE, CONTRADICTS, CONTRADICTS, TOO_RICH]

    def judgement(prompt: str) -> dict[str, Any]:
        kind = "plausibility" if "could such a person" in prompt else "consistency"
        answers, asked[kind] = (plausibility if kind == "plausibility" else consistency), asked[kind] + 1
        return answers[asked[kind] - 1] if asked[kind] <= len(answers) else PLAUSIBLE

    def write(prompt: str) -> dict[str, Any] | str:
        emotion = last_field(prompt, "Emotion")
        asked[f"write {emotion}"] += 1
        if emotion == "anger" and asked["write anger"] == 3:  # p000002's first anger answer
            return '{"texts": ["cut sho'
        return texts(prompt)

    def read(prompt: str) -> dict[str, Any]:
        answer = reading(prompt)
        asked[f"read {answer['emotion']}"] += 1
        if answer["emotion"] == "anger" and asked["read anger"] == 1:  # p000000's first anger text
            return {"reason": "sounds pleased, not angry", "emotion": "joy"}
        if answer["emotion"] == "joy" and asked["read joy"] > 1:  # every joy text of p000002
            return {"reason": "a plain notice, no feeling", "emotion": "other"}
        return answer

    script.update(Judgement=judgement, Texts=write, EmotionReading=read)
    return script


def register_scene_check() -> None:
    """A local rule critic that fails on p000000's scenario (the run records an `error` and goes on)."""

    @critic("scene_check", stage="scenario", description="The scene names a real place.")
    def scene_check(candidate):
        if candidate.persona.id == "p000000":
            raise CriticError(SCENE_CHECK_ERROR)
        return accept("names a place")


class CrashOn(SilentObserver):
    """Watches the events and raises `stop` on the first one `when` picks. SystemExit (the default) leaves the
    event loop and the pipeline at once, as a killed process: no summary, run.lock left behind;
    KeyboardInterrupt is Ctrl-C (the run ends interrupted)."""

    def __init__(self, when: Callable[[Event], bool], stop: type[BaseException] = SystemExit) -> None:
        self.when, self.stop = when, stop

    def event(self, event: Event) -> None:
        if self.when(event):
            raise self.stop


def run(runs_dir: Path, run_id: str | None, answers: dict[str, Any], *, settings: dict[str, Any] | None = None,
        observer: SilentObserver | None = None, resume: bool = False) -> None:
    """`personagen run` as the CLI does it (pipeline.execute), with the scripted model instead of a server."""
    chat = ScriptedChat(script=answers)
    with pytest.MonkeyPatch.context() as patch, isolated_registry():
        register_scene_check()
        patch.setattr(personagen.pipeline, "ModelSet", lambda *args, **kwargs: FakeModels(default=chat))
        execute(Settings.model_validate(settings or SETTINGS), runs_dir, run_id, observer, resume=resume)


def crash_in_socio_of(persona_id: str, runs_dir: Path, run_id: str) -> None:
    """RUNNING: the run stopped hard at the persona's first socio output."""
    try:
        run(runs_dir, run_id, script(), observer=CrashOn(
            lambda e: e.persona_id == persona_id and isinstance(e, OutputEvent) and e.stage == Stage.SOCIO))
    except SystemExit:
        pass
    gc.collect()  # the dropped run store's files flush what the persona wrote so far, as a full buffer would
    events = (runs_dir / run_id / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert any(json.loads(line)["persona_id"] == persona_id for line in events), "the crash lost the events"
    with (runs_dir / run_id / "events.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(events[-1][: len(events[-1]) // 2])  # the next line, cut short


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_runs(runs_dir: Path) -> Path:
    """FINISHED, FAILED, RUNNING and CRASHED in runs_dir (see the module docstring)."""
    run(runs_dir, FINISHED, script())
    failing = {**SETTINGS, "limits": {"early_stop_answers": 4}}
    run(runs_dir, FAILED, {name: ["{not json"] for name in good_script()}, settings=failing)
    for run_id in (RUNNING, CRASHED):
        crash_in_socio_of("p000002", runs_dir, run_id)
    lock = json.loads((runs_dir / CRASHED / "run.lock").read_text(encoding="utf-8"))
    (runs_dir / CRASHED / "run.lock").write_text(json.dumps({**lock, "pid": dead_pid()}), encoding="utf-8")
    return runs_dir


def resume_run(runs_dir: Path, run_id: str) -> None:
    """`personagen run --resume RUN` on the scripted model (the run's missing personas run again)."""
    run(runs_dir, run_id, script(), resume=True)
