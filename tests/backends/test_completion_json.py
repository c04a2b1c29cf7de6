"""The answer's JSON shaped as the dump of openai's model of it, without building the model."""

from __future__ import annotations

import pytest
from openai.types import CompletionUsage
from openai.types.chat.chat_completion import ChoiceLogprobs

from personagen.backends.completion_json import dumped, field_plan

USAGES = [
    {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8, "prompt_tokens_details": None},  # vLLM
    {"prompt_tokens": 5, "completion_tokens": 700, "total_tokens": 705, "cost": 0.01,  # OpenRouter's extra field
     "prompt_tokens_details": {"cached_tokens": 2}, "completion_tokens_details": {"reasoning_tokens": 690}},
    {"prompt_tokens": 5},  # a server that counts less
]


@pytest.mark.parametrize("usage", USAGES)
def test_a_usage_dumps_as_openais_model_would(usage):
    assert dumped(CompletionUsage, usage) == CompletionUsage.construct(**usage).model_dump(warnings=False)


def test_a_model_holding_lists_of_models_is_built_the_slow_way():
    logprobs = {"content": [{"token": "a", "logprob": -0.1, "top_logprobs": []}]}
    assert field_plan(ChoiceLogprobs) is None
    assert dumped(ChoiceLogprobs, logprobs) == ChoiceLogprobs.construct(**logprobs).model_dump(warnings=False)
