"""A scripted fake chat model for the LLM judge: no network, records prompts, replays tool-call answers.

`FakeJudgeChat(answer=...)`: `answer` is a function `(prompt_text) -> dict | str` giving the tool-call
arguments for each call (a string is sent as unparsable arguments), named after the request's one tool.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from personagen.agents.llm import ModelHandle

GOOD = {
    "grammaticality": 4,
    "logical_structure": 5,
    "vocabulary": 4,
    "naturalness": 3,
    "emotion_clarity": 5,
    "reason": "Clear and fluent, a little formal.",
}


class FakeJudgeChat(BaseChatModel):
    """Replays `answer(prompt)` as a tool call named after the bound schema."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    answer: Callable[[str], dict[str, Any] | str] = lambda prompt: GOOD  # noqa: E731
    tool_name: str = "JudgeScores"
    _prompts: list[str] = PrivateAttr(default_factory=list)
    _ids: Any = PrivateAttr(default_factory=itertools.count)

    @property
    def _llm_type(self) -> str:
        return "fake-judge"

    @property
    def prompts(self) -> list[str]:
        return self._prompts

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.tool_name = kwargs["tools"][0]["function"]["name"]  # the one tool of agents/llm.py's request
        prompt = "\n".join(str(m.content) for m in messages)
        self._prompts.append(prompt)
        args = self.answer(prompt)
        call_id = f"call_{next(self._ids)}"
        if isinstance(args, str):
            message = AIMessage(
                content="",
                invalid_tool_calls=[
                    {
                        "name": self.tool_name,
                        "args": args,
                        "id": call_id,
                        "error": "bad json",
                        "type": "invalid_tool_call",
                    }
                ],
            )
        else:
            message = AIMessage(
                content="",
                tool_calls=[{"name": self.tool_name, "args": args, "id": call_id}],
                usage_metadata={
                    "input_tokens": len(prompt) // 4,
                    "output_tokens": 30,
                    "total_tokens": len(prompt) // 4 + 30,
                },
            )
        return ChatResult(generations=[ChatGeneration(message=message)])


def judge_handle(limit: int = 8, answer: Callable[[str], dict[str, Any] | str] | None = None) -> ModelHandle:
    """A ModelHandle on a FakeJudgeChat."""
    chat = FakeJudgeChat(answer=answer) if answer else FakeJudgeChat()
    return ModelHandle("fake-judge", chat, "function_calling", "fake", limit)


def dumps(args: dict[str, Any]) -> str:
    return json.dumps(args)
