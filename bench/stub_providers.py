"""Hosted providers and more servers for the stub: Google Gemini's OpenAI endpoint, OpenRouter, Groq, DeepSeek,
Together, Mistral, SGLang and Hugging Face TGI. Each follows what its docs say (cited beside the code); where they
are silent, the comment says so and the plainest behaviour is chosen. All answer a named `tool_choice` with that
tool (each documents function calling with a named or forced function), so the probe chooses function calling;
what differs is tested: keys, error shapes, reasoning fields and caps, the request fields each accepts.
"""

from __future__ import annotations

from typing import Any

try:  # imported as bench.stub_providers (tests) or as a sibling script module
    from .stub_local import VLLM
    from .stub_personalities import OpenAI, Personality, Reject, oai_error
except ImportError:  # pragma: no cover - script mode
    from stub_local import VLLM  # type: ignore[no-redef]
    from stub_personalities import OpenAI, Personality, Reject, oai_error  # type: ignore[no-redef]


class Gemini(Personality):
    """https://generativelanguage.googleapis.com/v1beta/openai/ (https://ai.google.dev/gemini-api/docs/openai): a
    Bearer key; errors are Google's own, wrapped in a list; Gemini 2.5 and later think by default and the thinking
    counts against the output cap (https://ai.google.dev/gemini-api/docs/thinking; `reasoning_effort` sets its
    budget). Stub: 300 thinking tokens, reported as reasoning_tokens (the docs give no number)."""

    name = "gemini"
    needs_key = True
    checks_model = True
    cap_keys = ("max_completion_tokens", "max_tokens")
    reasoning_field = None  # thoughts are not returned unless asked for (`extra_body.google.thinking_config`)

    def unauthorized(self, key: str | None) -> Any:
        # a bad key: 400 INVALID_ARGUMENT, reason API_KEY_INVALID (https://ai.google.dev/gemini-api/docs/troubleshooting)
        return [{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                           "status": "INVALID_ARGUMENT", "details": [{
                               "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                               "domain": "googleapis.com"}]}}]

    def check_auth(self, headers: dict[str, str]) -> Reject | None:
        refused = super().check_auth(headers)
        return (400, refused[1]) if refused else None

    def model_missing(self, model: str) -> Any:
        return [{"error": {"code": 404, "message": f"models/{model} is not found for API version v1main",
                           "status": "NOT_FOUND"}}]

    def reasoning_tokens(self, body: dict[str, Any]) -> int | None:
        model = str(body.get("model") or "")
        return 300 if model.startswith(("gemini-2.5", "gemini-3")) and body.get("reasoning_effort") != "none" else 0


class OpenRouter(Personality):
    """https://openrouter.ai/api/v1: model ids carry the provider (`openai/gpt-5-mini`); reasoning models return
    their reasoning in `reasoning` and count it in `usage.completion_tokens_details.reasoning_tokens`, within
    max_tokens (https://openrouter.ai/docs/use-cases/reasoning-tokens); parameters a model does not support are
    ignored (https://openrouter.ai/docs/api-reference/parameters)."""

    name = "openrouter"
    needs_key = True
    checks_model = True
    cap_keys = ("max_tokens", "max_completion_tokens")
    reasoning_field = "reasoning"

    def reasoning_tokens(self, body: dict[str, Any]) -> int | None:
        model = str(body.get("model") or "")
        return 400 if model.startswith(("openai/gpt-5", "openai/o", "deepseek/deepseek-r1")) else 0


class Groq(Personality):
    """https://api.groq.com/openai/v1: reasoning models (qwen/qwen3-32b, openai/gpt-oss-*) return their reasoning in
    `reasoning` when tools or JSON mode are used (reasoning_format "parsed"; "raw", with <think> in the content,
    is refused with them) and count it in max_completion_tokens (https://console.groq.com/docs/reasoning). Stub: 200
    reasoning tokens, not itemised in the usage (the docs show none)."""

    name = "groq"
    needs_key = True
    checks_model = True
    cap_keys = ("max_completion_tokens", "max_tokens")
    reasoning_field = "reasoning"
    reports_reasoning_tokens = False

    def reasoning_tokens(self, body: dict[str, Any]) -> int | None:
        return 200 if str(body.get("model") or "").startswith(("qwen/qwen3", "openai/gpt-oss")) else 0


class DeepSeek(Personality):
    """https://api.deepseek.com: function calling with a named tool_choice (https://api-docs.deepseek.com/guides/
    function_calling); JSON output is `{"type": "json_object"}` only (https://api-docs.deepseek.com/guides/json_mode;
    a json_schema format is refused: the text is the API's as quoted in client reports); deepseek-reasoner returns
    `reasoning_content` and counts it in max_tokens (https://api-docs.deepseek.com/guides/reasoning_model)."""

    name = "deepseek"
    needs_key = True
    checks_model = True
    cap_keys = ("max_tokens",)
    reasoning_field = "reasoning_content"

    def check_request(self, body: dict[str, Any]) -> Reject | None:
        if (body.get("response_format") or {}).get("type") == "json_schema":
            return 400, oai_error("This response_format type is unavailable now", None, "invalid_request_error")
        return None

    def reasoning_tokens(self, body: dict[str, Any]) -> int | None:
        return 500 if body.get("model") == "deepseek-reasoner" else 0


class Together(OpenAI):
    """https://api.together.xyz/v1: OpenAI's request format for function calling and JSON mode
    (https://docs.together.ai/docs/function-calling, https://docs.together.ai/docs/json-mode); no reasoning models
    in the stub's list, and no strict-schema subset check (the docs give none)."""

    name = "together"
    strict_keywords = frozenset()

    def check_request(self, body: dict[str, Any]) -> Reject | None:
        return None


class Mistral(Personality):
    """https://api.mistral.ai/v1: tool_choice "auto", "none", "any", "required" or a named function; response_format
    json_object and json_schema (https://docs.mistral.ai/api/). Its request model forbids fields it does not know:
    HTTP 422 "Extra inputs are not permitted" (the FastAPI/pydantic error it returns, quoted in client reports);
    the fields below are the chat completion request's documented ones."""

    name = "mistral"
    needs_key = True
    checks_model = True
    cap_keys = ("max_tokens",)
    FIELDS = frozenset("model messages temperature top_p max_tokens stream stop random_seed response_format tools "
                       "tool_choice presence_penalty frequency_penalty n prediction parallel_tool_calls "
                       "prompt_mode safe_prompt".split())

    def check_request(self, body: dict[str, Any]) -> Reject | None:
        extra = sorted(set(body) - self.FIELDS)
        if extra:
            detail = [{"type": "extra_forbidden", "loc": ["body", name], "msg": "Extra inputs are not permitted",
                       "input": body[name]} for name in extra]
            return 422, {"object": "error", "message": {"detail": detail}, "type": "invalid_request_error",
                         "param": None, "code": None}
        return None


class SGLang(VLLM):
    """SGLang's OpenAI-compatible server: named and "required" tool_choice
    (https://docs.sglang.ai/advanced_features/function_calling.html), json_schema through its grammar backend
    (https://docs.sglang.ai/advanced_features/structured_outputs.html); /v1/models entries are `owned_by:
    "sglang"` (sglang/srt/entrypoints/openai/protocol.py ModelCard)."""

    name = "sglang"
    owned_by = "sglang"


class TGI(Personality):
    """Hugging Face text-generation-inference's Messages API: tools with a named tool_choice
    (https://huggingface.co/docs/text-generation-inference/basic_tutorials/using_guidance); a response_format is
    TGI's grammar, `{"type": "json", "value": schema}` or "regex": other types are refused with 422 (the serde
    error of its router); /v1/models lists the one model, `owned_by` its id; GET /info has max_concurrent_requests
    (default 128, launcher --max-concurrent-requests)."""

    name = "tgi"
    cap_keys = ("max_tokens",)
    slots = None  # 128 requests at once: no limit the tests reach

    @property
    def owned_by(self) -> str:  # type: ignore[override]
        return self.models[0]

    def check_request(self, body: dict[str, Any]) -> Reject | None:
        kind = (body.get("response_format") or {}).get("type")
        if kind is not None and kind not in ("json", "regex"):
            return 422, {"error": f"Failed to deserialize the JSON body into the target type: response_format: "
                                  f"unknown variant `{kind}`, expected `json` or `regex`", "error_type": "validation"}
        return None

    def route(self, method: str, path: str) -> Reject | None:
        if (method, path) == ("GET", "/info"):
            return 200, {"model_id": self.models[0], "max_concurrent_requests": 128, "version": "3.3.0"}
        return None


PROVIDERS = (Gemini, OpenRouter, Groq, DeepSeek, Together, Mistral, SGLang, TGI)
