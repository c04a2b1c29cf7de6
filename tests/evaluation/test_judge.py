"""The LLM judge on a scripted fake chat model."""

from __future__ import annotations

import asyncio

import pytest

from personagen.evaluation.errors import EvalError
from personagen.evaluation.human_likeness import (
    CRITERIA,
    judge_messages,
    judge_records,
    sample_records,
    summarise,
)
from tests.evaluation.fake_chat import GOOD, judge_handle

RECORDS = [
    {"id": f"r{i}", "emotion": "joy" if i % 2 else "fear", "text": f"text number {i}"} for i in range(6)
]


def scores(value: int) -> dict:
    return {c: value for c in CRITERIA} | {"reason": f"all {value}"}


def test_prompt_holds_text_and_emotion():
    messages = judge_messages("I lost my keys again", "anger")
    prompt = "\n".join(str(m.content) for m in messages)
    assert "I lost my keys again" in prompt and "feels anger" in prompt


def test_judge_scores_and_summary():
    handle = judge_handle(answer=lambda prompt: scores(5) if "number 1" in prompt else GOOD)
    judgements = asyncio.run(judge_records(handle, RECORDS, concurrency=3))
    assert len(handle.chat.prompts) == 6 and all(j.error is None for j in judgements)
    summary = summarise(judgements)
    assert summary["n_judged"] == 6 and summary["n_failed"] == 0
    assert summary["mean"]["naturalness"] == pytest.approx((5 + 3 * 5) / 6, abs=1e-3)
    assert summary["distribution"]["naturalness"] == {"1": 0, "2": 0, "3": 5, "4": 0, "5": 1}
    assert set(summary["per_label"]) == {"joy", "fear"}
    assert summary["lowest"][0]["record_id"] != "r1"


def test_unparsable_and_out_of_range_answers_are_counted_as_failures():
    answers = {"number 0": "not json", "number 2": scores(9)}
    handle = judge_handle(answer=lambda p: next((a for k, a in answers.items() if k in p), GOOD))
    judgements = asyncio.run(judge_records(handle, RECORDS))
    summary = summarise(judgements)
    assert summary["n_failed"] == 2 and summary["n_judged"] == 4
    assert all("JudgeScores" in e for e in summary["errors"])


def test_judge_failing_everywhere_is_an_eval_error():
    handle = judge_handle(answer=lambda prompt: "garbage")
    with pytest.raises(EvalError, match="--no-judge"):
        asyncio.run(judge_records(handle, RECORDS[:2]))


def test_sample_is_seeded_and_ordered():
    records = [{"id": str(i)} for i in range(50)]
    first, again = sample_records(records, 10, seed=1), sample_records(records, 10, seed=1)
    assert first == again and len(first) == 10
    assert [int(r["id"]) for r in first] == sorted(int(r["id"]) for r in first)
    assert len(sample_records(records, 500)) == 50
