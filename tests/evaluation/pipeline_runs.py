"""Run folders for the evaluation tests, written by the real pipeline (`personagen.pipeline.execute` and its run store)
on the scripted fake model of tests/fakes.py.

The writer answers each request for an emotion with the next of the texts given for it (the last one again once they
are used up), and the emotion reader reads a text as the emotion it was given for (a text listed in `unreadable`
reads as "other", so the critics drop it).
With concurrency 1 and one text per emotion and persona, persona i writes the i-th text of each emotion.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import personagen.pipeline
from personagen.pipeline import SilentObserver, execute
from personagen.settings import Settings
from tests.fakes import FakeModels, ScriptedChat, good_script, last_field

CRITICS = ["plausibility", "consistency", "duplicates", "text_shape", "emotion_fidelity"]


def texts_script(texts: dict[str, list[str]], unreadable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Scripted answers: the given texts in order per emotion, each read as the emotion it was given for."""
    written: Counter[str] = Counter()
    label = {text: emotion for emotion, items in texts.items() for text in items}

    def write(prompt: str) -> dict[str, Any]:
        emotion = last_field(prompt, "Emotion")
        count = int(re.search(r"Write (\d+) messages", prompt).group(1))
        first, written[emotion] = written[emotion], written[emotion] + count
        return {"texts": [texts[emotion][min(first + i, len(texts[emotion]) - 1)] for i in range(count)]}

    def read(prompt: str) -> dict[str, Any]:
        text = last_field(prompt, "Text").strip('"')
        return {"reason": "scripted", "emotion": "other" if text in unreadable else label.get(text, "other")}

    def enrich(prompt: str) -> dict[str, Any]:  # a locale without an income table asks the model for it (jp)
        answer = {"residence": "a flat in town", "beliefs": "values family"}
        return answer | {"income": "modest"} if "beliefs, income" in prompt else answer

    return good_script(Texts=write, EmotionReading=read, Enrichment=enrich)


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def pipeline_run(runs_dir: Path, run_id: str, texts: dict[str, list[str]], *, personas: int | None = None,
                 settings: dict[str, Any] | None = None, unreadable: frozenset[str] = frozenset()) -> Path:
    """`personagen run` (pipeline.execute) on the scripted model: one text per emotion and persona, no curation."""
    run = {"personas": personas or max(len(items) for items in texts.values()), "emotions": ",".join(texts),
           "texts_per_emotion": 1, "seed": 3, "concurrency": 1, "curate": False}
    chosen = merged({"run": run, "critics": {"enable": CRITICS}}, settings or {})
    chat = ScriptedChat(script=texts_script(texts, unreadable))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(personagen.pipeline, "ModelSet", lambda *args, **kwargs: FakeModels(default=chat))
        execute(Settings.model_validate(chosen), runs_dir, run_id, SilentObserver())
    return runs_dir / run_id


class RunCache:
    """Runs written once per test session, handed to each test as a fresh copy (evaluations write into the run)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.written = folder, set()

    def copy(self, run_id: str, to: Path, texts: dict[str, list[str]], **options: Any) -> Path:
        if run_id not in self.written:
            pipeline_run(self.folder, run_id, texts, **options)
            self.written.add(run_id)
        return Path(shutil.copytree(self.folder / run_id, to / run_id))
