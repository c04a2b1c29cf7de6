"""LeanChatOpenAI sends the same request body as ChatOpenAI (it only skips the SDK's transform)."""

from __future__ import annotations

import asyncio
import json

import httpx2
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from personagen.backends.openai_compat import LeanChatOpenAI


class Verdict(BaseModel):
    reason: str = Field(description="why")
    plausible: bool


COMPLETION = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
              "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                  "role": "assistant", "content": None, "tool_calls": [{
                      "id": "c1", "type": "function",
                      "function": {"name": "Verdict", "arguments": '{"reason": "ok", "plausible": true}'}}]}}],
              "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


def sent_body(cls: type[ChatOpenAI]) -> tuple[dict, object]:
    seen: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=COMPLETION)

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    chat = cls(model="m", base_url="http://test/v1", api_key="k", http_async_client=client, max_retries=0)
    runnable = chat.bind_tools([Verdict], tool_choice="Verdict", parallel_tool_calls=False)
    message = asyncio.run(runnable.ainvoke([SystemMessage("be brief"), HumanMessage("Person: a nurse")]))
    return seen[0], message


def test_lean_request_body_equals_the_standard_one():
    lean, lean_msg = sent_body(LeanChatOpenAI)
    plain, plain_msg = sent_body(ChatOpenAI)
    assert lean == plain
    assert lean["messages"][1]["content"] == "Person: a nurse" and lean["tools"][0]["function"]["name"] == "Verdict"
    assert lean_msg.tool_calls[0]["args"] == plain_msg.tool_calls[0]["args"] == {"reason": "ok", "plausible": True}
