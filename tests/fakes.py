"""A scripted fake chat model: records the prompts it saw and replays structured answers as tool calls.

`ScriptedChat(script)` where `script` maps a schema name (e.g. "Judgement") to either a list of answers
(dicts, replayed in order, the last one repeating) or a function `(prompt_text) -> dict`. An answer that is a
string is sent as invalid tool-call arguments (a model answer that does not parse).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from personagen.agents.llm import ModelHandle

Answer = dict[str, Any] | str
Script = dict[str, list[Answer] | Callable[[str], Answer]]


class ScriptedChat(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    script: dict[str, Any]
    _seen: list[tuple[str, str]] = PrivateAttr(default_factory=list)
    _counters: dict[str, Any] = PrivateAttr(default_factory=dict)
    _ids: Any = PrivateAttr(default_factory=itertools.count)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    @property
    def prompts(self) -> list[tuple[str, str]]:
        """(schema name, prompt text) of every call, in order."""
        return self._seen

    def calls(self, schema: str) -> int:
        return sum(1 for s, _ in self._seen if s == schema)

    def next_answer(self, name: str, prompt: str) -> Answer:
        entry = self.script.get(name)
        if entry is None:
            raise AssertionError(f"no scripted answer for schema {name}")
        if callable(entry):
            return entry(prompt)
        n = self._counters.get(name, 0)
        self._counters[name] = n + 1
        return entry[min(n, len(entry) - 1)]

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        """Answer the one tool of the request (agents/llm.py's function-calling request) from the script."""
        name = kwargs["tools"][0]["function"]["name"]
        prompt = "\n".join(str(m.content) for m in messages)
        self._seen.append((name, prompt))
        answer = self.next_answer(name, prompt)
        call_id = f"call_{next(self._ids)}"
        if isinstance(answer, str):
            msg = AIMessage(content="", invalid_tool_calls=[
                {"name": name, "args": answer, "id": call_id, "error": "bad json",
                 "type": "invalid_tool_call"}])
        else:
            msg = AIMessage(content="", tool_calls=[{"name": name, "args": answer, "id": call_id}],
                            usage_metadata={"input_tokens": len(prompt) // 4,
                                            "output_tokens": len(json.dumps(answer)) // 4,
                                            "total_tokens": len(prompt) // 4 + len(json.dumps(answer)) // 4})
        return ChatResult(generations=[ChatGeneration(message=msg)])


class FakeModels:
    """A ModelSet of scripted models: one per agent name given, the 'default' one for the rest."""

    def __init__(self, **chats: ScriptedChat) -> None:
        self.handles = {name: ModelHandle(f"fake-{name}", chat) for name, chat in chats.items()}
        self.described = {name: {"backend": "fake", "model": h.name} for name, h in self.handles.items()}

    def for_agent(self, agent: str) -> ModelHandle:
        return self.handles.get(agent.removeprefix("critic:"), self.handles["default"])

    def preload(self, agents: list[str]) -> None: ...


def last_field(prompt: str, name: str) -> str:
    """The value of the last 'Name: value' line of a prompt."""
    lines = [line for line in prompt.splitlines() if line.startswith(f"{name}: ")]
    return lines[-1].split(": ", 1)[1].strip() if lines else ""


def good_script(**overrides: Any) -> dict[str, Any]:
    """Answers that pass every critic; the emotion reader echoes the emotion named in the writer's prompt."""
    texts_counter = itertools.count()

    def texts(prompt: str) -> dict[str, Any]:
        n, emotion = next(texts_counter), last_field(prompt, "Emotion")
        count = int(re.search(r"Write (\d+) messages", prompt).group(1))
        return {"texts": [f"Honestly message {n}-{i} is full of {emotion} for me today." for i in range(count)]}

    def reading(prompt: str) -> dict[str, Any]:
        message = last_field(prompt, "Text").strip('"')
        return {"reason": "scripted", "emotion": message.split(" of ")[-1].split()[0]}

    script = {
        "Judgement": [{"reason": "fine", "plausible": True, "confidence": 0.9}],
        "Enrichment": [{"residence": "a flat in town", "beliefs": "values family"}],
        "SceneAnswer": [{"description": "A quiet evening at home."}],
        "Texts": texts,
        "EmotionReading": reading,
    }
    script.update(overrides)
    return script
