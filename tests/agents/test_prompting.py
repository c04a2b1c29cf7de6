"""Prompt templates: one reader for the agents' prompts and the evaluation judge's."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from personagen.agents.prompting import PROMPTS_DIR, fill, load_template, read_template, render
from personagen.evaluation.human_likeness import PROMPT_PATH, judge_messages


def test_sections_are_read_and_filled(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("intro ignored\n## System\nBe $tone.\n\n## user\nSay {\"json\": 1} about $topic.\n")
    system, user = read_template(path)
    assert fill((system, user), tone="brief", topic="rain") == [
        SystemMessage("Be brief."),
        HumanMessage('Say {"json": 1} about rain.'),
    ]


def test_a_missing_section_or_value_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "half.md"
    path.write_text("## system\nonly this\n")
    with pytest.raises(ValueError, match=r"half.md lacks a '## user' section"):
        read_template(path)
    with pytest.raises(KeyError):
        fill(read_template(PROMPT_PATH), text="x")


def test_agents_and_judge_share_the_reader() -> None:
    assert load_template("plausibility") is read_template(PROMPTS_DIR / "plausibility.md")
    system, user = read_template(PROMPT_PATH)
    assert judge_messages("I lost my keys", "anger") == fill((system, user), text="I lost my keys", emotion="anger")
    assert render("plausibility", **{k: "v" for k in _placeholders("plausibility")})[0].type == "system"


def _placeholders(name: str) -> set[str]:
    system, user = load_template(name)
    return {m.group("named") for t in (system, user) for m in t.pattern.finditer(t.template) if m.group("named")}
