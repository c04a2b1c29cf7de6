"""Reading model answers tolerantly (agents/answers.py): tool calls, JSON content in its real-world shapes."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from personagen.agents.answers import INVALID, NO_TOOL_CALL, TRUNCATED, read_answer


class Mood(BaseModel):
    emotion: str
    score: float


@pytest.mark.parametrize("content", [
    '{"emotion": "joy", "score": 0.9}',
    'Sure! Here is the answer:\n```json\n{"emotion": "joy", "score": 0.9}\n```\nHope that helps.',
    'The text reads as joy, so: {"emotion": "joy", "score": 0.9} is my answer.',
    '{"Mood": {"emotion": "joy", "score": 0.9}}',
])
def test_json_in_content_is_read_and_marked_as_the_fallback(content):
    reading = read_answer(AIMessage(content=content), Mood, expects_tool=True)
    assert reading.parsed == Mood(emotion="joy", score=0.9) and reading.via == "content_fallback"


def test_a_tool_call_is_read_first():
    message = AIMessage(content="", tool_calls=[{"name": "Mood", "args": {"emotion": "anger", "score": 1}, "id": "1"}])
    reading = read_answer(message, Mood, expects_tool=True)
    assert reading.parsed.emotion == "anger" and reading.via == "tool_call"


def test_prose_without_json_says_the_model_called_no_tool():
    reading = read_answer(AIMessage(content="I feel happy."), Mood, expects_tool=True)
    assert reading.parsed is None and reading.kind == NO_TOOL_CALL


def test_an_answer_cut_at_the_cap_is_truncated_not_invalid():
    message = AIMessage(content='{"emotion": "jo', response_metadata={"finish_reason": "length"})
    assert read_answer(message, Mood, expects_tool=False).kind == TRUNCATED


def test_json_of_the_wrong_shape_is_invalid_with_pydantics_reason():
    reading = read_answer(AIMessage(content='{"emotion": "joy"}'), Mood, expects_tool=False)
    assert reading.kind == INVALID and "score" in reading.error
