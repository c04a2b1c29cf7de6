"""The request payload LlamaCppChatOpenAI sends to llama-cpp-python's server (no server needed)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from personagen.backends.llamacpp import (
    STRUCTURED_METHOD,
    LlamaCppChatOpenAI,
    fold_system_messages,
    make_llamacpp_chat,
    move_max_tokens_to_extra_body,
)


class Verdict(BaseModel):
    """A test schema."""

    passed: bool = Field(description="Accepted?")
    score: float = Field(description="0..1")


def _chat(**kwargs) -> LlamaCppChatOpenAI:
    chat = make_llamacpp_chat(
        "http://127.0.0.1:9/v1", "gemma", temperature=0.3, max_tokens=77, seed=5, **kwargs
    )
    assert isinstance(chat, LlamaCppChatOpenAI)
    return chat


def test_system_folded_into_first_user_turn() -> None:
    payload = _chat()._get_request_payload(
        [SystemMessage("Rules."), HumanMessage("Question?"), AIMessage("A."), HumanMessage("Again?")]
    )
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant", "user"]
    assert payload["messages"][0]["content"] == "Rules.\n\nQuestion?"
    assert payload["messages"][2]["content"] == "Again?"


def test_fold_without_user_turn_and_without_system() -> None:
    assert fold_system_messages([{"role": "system", "content": "Only"}]) == [
        {"role": "user", "content": "Only"}
    ]
    msgs = [{"role": "user", "content": "x"}]
    assert fold_system_messages(msgs) == msgs
    parts = [
        {"role": "developer", "content": [{"type": "text", "text": "A"}]},
        {"role": "user", "content": "B"},
    ]
    assert fold_system_messages(parts) == [{"role": "user", "content": "A\n\nB"}]


def test_max_tokens_sent_in_extra_body() -> None:
    payload = _chat()._get_request_payload([HumanMessage("hi")])
    assert "max_completion_tokens" not in payload and "max_tokens" not in payload
    assert payload["extra_body"] == {"max_tokens": 77}
    assert payload["seed"] == 5 and payload["temperature"] == 0.3
    merged = move_max_tokens_to_extra_body({"max_completion_tokens": 3, "extra_body": {"top_k": 1}})
    assert merged == {"extra_body": {"top_k": 1, "max_tokens": 3}}
    assert move_max_tokens_to_extra_body({"messages": []}) == {"messages": []}


def test_call_time_max_tokens_wins() -> None:
    payload = _chat()._get_request_payload([HumanMessage("hi")], max_tokens=12)
    assert payload["extra_body"] == {"max_tokens": 12}


def _bound_kwargs(runnable) -> dict:
    """The kwargs of the model binding inside a structured-output runnable (include_raw=True shape)."""
    return runnable.first.steps__["raw"].kwargs


def test_structured_function_calling_payload() -> None:
    chat = _chat()
    runnable = chat.with_structured_output(Verdict, method="function_calling", include_raw=True)
    kwargs = _bound_kwargs(runnable)
    payload = chat._get_request_payload([SystemMessage("S"), HumanMessage("U")], **kwargs)
    assert payload["tool_choice"] == {"type": "function", "function": {"name": "Verdict"}}
    params = payload["tools"][0]["function"]["parameters"]
    assert params["required"] == ["passed", "score"]
    assert payload["messages"] == [{"role": "user", "content": "S\n\nU"}]
    assert payload["extra_body"] == {"max_tokens": 77}


def test_structured_json_object_payload_and_parse() -> None:
    chat = _chat()
    runnable = chat.with_structured_output(Verdict, method="json_schema", include_raw=True)
    kwargs = _bound_kwargs(runnable)
    assert kwargs["response_format"]["type"] == "json_object"
    assert kwargs["response_format"]["schema"]["required"] == ["passed", "score"]
    parser_chain = runnable.last  # parse the raw message without a server
    out = parser_chain.invoke({"raw": AIMessage('{"passed": true, "score": 0.5}')})
    assert out["parsed"] == Verdict(passed=True, score=0.5) and out["parsing_error"] is None
    bad = parser_chain.invoke({"raw": AIMessage("not json")})
    assert bad["parsed"] is None and bad["parsing_error"] is not None


def test_default_structured_method_is_the_chosen_one() -> None:
    runnable = _chat().with_structured_output(Verdict, include_raw=True)
    kwargs = _bound_kwargs(runnable)
    if STRUCTURED_METHOD == "function_calling":
        assert kwargs["tool_choice"]["function"]["name"] == "Verdict"
    else:
        assert kwargs["response_format"]["type"] == "json_object"


def test_api_key_passed() -> None:
    assert _chat(api_key="k123").openai_api_key.get_secret_value() == "k123"


def test_sampling_settings_have_no_defaults_of_their_own() -> None:
    """Temperature and token cap come from the run's model settings (model_set), never from this adapter."""
    with pytest.raises(TypeError, match="temperature"):
        make_llamacpp_chat("http://127.0.0.1:9/v1", "gemma")  # type: ignore[call-arg]
    assert _chat().temperature == 0.3 and _chat().max_tokens == 77
