"""The dataset card's label quality: measured accuracy or "not measured", how often the emotion-reading critics
read the target, and the texts dropped per emotion by cause; on runs the real pipeline wrote (scripted fake, stub).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personagen.agents.critics.judges import EmotionReading, emotion_fidelity
from personagen.agents.critics.offline_emotion import judge_reading
from personagen.agents.critics.registry import Candidate
from personagen.cli import app
from personagen.dataset_card import label_quality_section
from personagen.label_quality import label_quality, reads_target
from personagen.personas.models import BasePersona, Expression, Stage, Verdict
from tests.fakes import good_script, last_field
from tests.inspection.real_runs import run as run_pipeline

LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")
PERSONA = BasePersona(id="p1", index=0, locale="us", age=30, gender="female", occupation="Cashiers", mbti="ESFJ")


def fidelity_reasons(target: str, found: str) -> Verdict:
    async def ask(messages, schema):
        return EmotionReading(reason="scripted", emotion=found)

    candidate = Candidate(Stage.EXPRESSION, PERSONA, expression=Expression(emotion=target, text="t"),
                          emotions=["joy", "anger"], asker=ask)
    return asyncio.run(emotion_fidelity(candidate))


def test_the_readers_verdicts_say_whether_they_read_the_target() -> None:
    probs = [0.05, 0.6, 0.05, 0.2, 0.05, 0.05]
    assert reads_target(judge_reading(LABELS, 0.1, "joy", probs), "joy") is True
    assert reads_target(judge_reading(LABELS, 0.1, "anger", probs), "anger") is False  # leans to joy
    assert reads_target(judge_reading(LABELS, 0.1, "fear", probs), "fear") is False  # rejected
    assert reads_target(fidelity_reasons("joy", "joy"), "joy") is True
    assert reads_target(fidelity_reasons("joy", "anger"), "joy") is False
    assert reads_target(fidelity_reasons("joy", "other"), "joy") is False
    assert reads_target(unjudged("not judged: the classifier reads English"), "joy") is None
    assert reads_target(unjudged("the critic's model gave no usable answer: ..."), "joy") is None


def unjudged(reason: str) -> Verdict:
    return Verdict(critic="offline_emotion", stage=Stage.EXPRESSION, passed=True, reasons=[reason])


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory) -> Path:
    """3 personas x joy, anger, sadness: anger's answers never parse, joy never reads as joy, sadness passes."""
    script = good_script()

    def write(prompt: str):
        return '{"texts": ["cut sho' if last_field(prompt, "Emotion") == "anger" else script["Texts"](prompt)

    def read(prompt: str):
        answer = script["EmotionReading"](prompt)
        return {"reason": "flat", "emotion": "other"} if answer["emotion"] == "joy" else answer

    runs = tmp_path_factory.mktemp("quality-runs")
    settings = {"run": {"personas": 3, "emotions": "joy,anger,sadness", "texts_per_emotion": 1, "seed": 7,
                        "concurrency": 1, "curate": False},
                "critics": {"enable": ["text_shape", "emotion_fidelity"]}}
    run_pipeline(runs, "q", {**script, "Texts": write, "EmotionReading": read}, settings=settings)
    return runs / "q"


def test_drops_are_counted_per_emotion_by_cause(fake_run: Path) -> None:
    found = label_quality(fake_run)
    assert found["accepted"] == {"sadness": 3}
    assert found["drops"] == {"anger": {"model answer: invalid": 3}, "joy": {"critic emotion_fidelity": 3}}


def test_the_judges_agreement_counts_every_draft_it_read(fake_run: Path) -> None:
    verdicts = [e for e in map(json.loads, (fake_run / "events.jsonl").read_text().splitlines())
                if e["type"] == "verdict" and e["agent"] == "critic:emotion_fidelity"]
    readers = label_quality(fake_run)["readers"]["emotion_fidelity"]
    assert readers["joy"]["drafts"]["n"] == sum(e["emotion"] == "joy" for e in verdicts) > 3
    assert readers["joy"]["drafts"]["k"] == 0 and "kept" not in readers["joy"]
    assert readers["sadness"]["kept"] == readers["sadness"]["drafts"]
    assert readers["sadness"]["kept"]["k"] == readers["sadness"]["kept"]["n"] == 3
    assert "offline_emotion" not in label_quality(fake_run)["readers"]  # it did not run


def test_the_card_section_says_what_was_and_was_not_measured(fake_run: Path) -> None:
    card = label_quality_section(fake_run, ["joy", "anger", "sadness"])
    assert "**Label accuracy was not measured**" in card
    assert "| joy | - | 0% [0%-" in card and "| sadness | 100% [" in card
    assert "| emotion | accepted | dropped | critic emotion_fidelity | model answer: invalid |" in card
    assert "| anger | 0 | 3 | 0 | 3 |" in card


def test_an_exported_card_states_the_labelling_of_a_stub_run(tmp_path: Path, stub_url: str) -> None:
    def invoke(*args: object, keys: str = ""):
        result = CliRunner().invoke(app, [str(a) for a in args], input=keys, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    invoke("run", "-n", 3, "-e", "joy,anger", "-k", 2, "--base-url", stub_url, "--model", "stub",
           "--runs-dir", tmp_path, "--run-id", "r", "-q")
    invoke("export", tmp_path / "r", "--format", "hf", "--out", tmp_path / "before")
    assert "**Label accuracy was not measured**" in (tmp_path / "before" / "README.md").read_text()
    real = tmp_path / "real.tsv"
    real.write_text("text\tlabel\tid\nThis is infuriating.\tanger\ta\nWhat a lovely day!\tjoy\tb\n")
    invoke("label", tmp_path / "r", "--sample", 4, "--controls", 2, "--controls-from", real, keys="222222")
    invoke("export", tmp_path / "r", "--format", "hf", "--out", tmp_path / "after")
    card = (tmp_path / "after" / "README.md").read_text()
    n = sum(1 for line in (tmp_path / "r" / "labels.jsonl").read_text().splitlines() if '"kind":"text"' in line)
    assert f"**Label accuracy measured by people**: {n} kept texts labelled blind" in card
    assert "On 2 controls (real texts with human labels, mixed in unannounced) the labeller agreed with the real " \
           "label 50% [9%-91%] (1/2)" in card
