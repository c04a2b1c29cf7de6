"""Thinking models: reasoning is stripped before an answer is parsed, found in the answer's fields and usage, and
recognised by name (agents/answers.py, personagen/backends/endpoint.py)."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from personagen.agents.answers import read_answer, shows_reasoning, strip_reasoning
from personagen.backends.endpoint import is_thinking_model, max_tokens_for, refuses_parallel_tool_calls
from personagen.settings import ModelSettings


class Scene(BaseModel):
    """The model-written part of a scenario."""

    description: str = Field(description="One or two sentences.")


ANSWER = '{"description": "A rainy bus stop."}'


@pytest.mark.parametrize("content", [
    f"<think>I could answer {{\"description\": \"draft\"}} but no.</think>\n{ANSWER}",
    f"The user wants a scene {{\"description\": \"draft\"}}.\n</think>\n\n{ANSWER}",  # opened by the chat template
    f"<THINK>hmm</THINK>{ANSWER}",
])
def test_reasoning_in_the_content_is_stripped_before_parsing(content):
    reading = read_answer(AIMessage(content=content), Scene, expects_tool=False)
    assert reading.parsed == Scene(description="A rainy bus stop.")
    assert shows_reasoning(AIMessage(content=content))


def test_a_think_block_cut_at_the_cap_leaves_nothing_to_parse():
    cut = AIMessage(content='<think>The answer is {"description": "draft"} and', response_metadata={
        "finish_reason": "length"})
    reading = read_answer(cut, Scene, expects_tool=False)
    assert reading.parsed is None and reading.kind == "truncated"
    assert strip_reasoning(cut.content) == ""


def test_a_json_mode_answer_that_echoes_the_schema_is_not_an_answer():
    """SceneAnswer's field is `description`, so the echoed schema's own description would validate."""
    echo = json.dumps(Scene.model_json_schema())
    reading = read_answer(AIMessage(content=echo), Scene, expects_tool=False)
    assert reading.parsed is None and "repeats the JSON schema" in reading.error
    assert read_answer(AIMessage(content=ANSWER), Scene, expects_tool=False).parsed is not None


def test_reasoning_fields_and_usage_show_reasoning():
    assert shows_reasoning(AIMessage(content=ANSWER, additional_kwargs={"reasoning_content": "Let me see."}))
    assert shows_reasoning(AIMessage(content=ANSWER, additional_kwargs={"reasoning": "Let me see."}))
    usage = {"input_tokens": 5, "output_tokens": 700, "total_tokens": 705, "output_token_details": {"reasoning": 690}}
    assert shows_reasoning(AIMessage(content=ANSWER, usage_metadata=usage))
    assert not shows_reasoning(AIMessage(content=ANSWER))


@pytest.mark.parametrize("model", ["deepseek-reasoner", "gemini-2.5-flash", "gemini-3-pro-preview", "Qwen/Qwen3-8B",
                                   "qwen3:8b", "gpt-oss:20b", "openai/gpt-oss-120b", "deepseek-r1:7b",
                                   "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "openai/gpt-5-mini", "o4-mini",
                                   "QwQ-32B"])
def test_thinking_models_by_name_get_a_cap_that_holds_their_reasoning(model):
    assert is_thinking_model(model) and max_tokens_for(ModelSettings(), model) == 8000


@pytest.mark.parametrize("model", ["gpt-4o-mini", "llama3.1", "Qwen/Qwen2.5-7B-Instruct", "gemini-2.0-flash",
                                   "mistral-small-latest", "openai/gpt-5-chat", "gemma"])
def test_other_models_keep_the_ordinary_cap_unless_found_thinking(model):
    assert not is_thinking_model(model) and max_tokens_for(ModelSettings(), model) == 600
    assert max_tokens_for(ModelSettings(), model, thinking=True) == 8000
    assert max_tokens_for(ModelSettings(max_tokens=300), model, thinking=True) == 300  # the user's cap wins


def test_o_series_refuse_parallel_tool_calls():
    assert all(refuses_parallel_tool_calls(m) for m in ("o1", "o3-mini", "o3", "o4-mini", "openai/o3"))
    assert not any(refuses_parallel_tool_calls(m) for m in ("gpt-4o-mini", "gpt-5", "gpt-4.1"))
