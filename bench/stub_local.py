"""Local model servers for the stub (vLLM, Ollama, llama.cpp's llama-server, LM Studio): each follows that server's
documented chat-completions behaviour, cited beside the code (the base class and OpenAI/Azure: stub_personalities.py).
"""

from __future__ import annotations

from typing import Any

try:  # imported as bench.stub_local (tests) or as a sibling script module
    from .stub_personalities import Personality, Reject
except ImportError:  # pragma: no cover - script mode
    from stub_personalities import Personality, Reject  # type: ignore[no-redef]


# A tool-capable model left to decide ("auto") calls a tool of its own accord on a short question and answers a long
# writing prompt in prose: what issue 20 observed on Ollama, llama-server and LM Studio (a probe with one tool was
# fooled into function calling; the writer's prompts came back as prose). The stub's model calls the first tool
# listed when the conversation is shorter than this many characters.
SHORT_PROMPT = 600


def auto_kind(body: dict[str, Any]) -> str:
    """What the model does with tools and no forcing: calls the first tool on a short prompt, else prose."""
    size = sum(len(str(m.get("content") or "")) for m in body.get("messages") or [] if isinstance(m, dict))
    return "auto_call" if size < SHORT_PROMPT else "tool_content"


def _choice_kind(body: dict[str, Any]) -> str | None:
    """Servers that read tool_choice as a string only: "required" forces a call, "none" none, anything else
    (auto, absent, an object naming a function) lets the model decide (`auto_kind`)."""
    if not body.get("tools"):
        return None
    choice = body.get("tool_choice")
    return "tool_call" if choice == "required" else "text" if choice == "none" else auto_kind(body)


class VLLM(Personality):
    """vLLM's OpenAI-compatible server, assumed started with --enable-auto-tool-choice --tool-call-parser X."""

    name = "vllm"
    checks_model = True
    owned_by = "vllm"  # ModelCard.owned_by default (vllm/entrypoints/openai/protocol.py)
    # ChatCompletionRequest.to_sampling_params: max_tokens = self.max_completion_tokens or self.max_tokens
    # (vllm/entrypoints/openai/protocol.py)
    cap_keys = ("max_completion_tokens", "max_tokens")
    # Named function, "auto", "required" (vllm>=0.8.3) and "none" are all supported, so the generic reply kinds
    # apply (https://docs.vllm.ai/en/latest/features/tool_calling/); json_schema / json_object go through
    # structured outputs (https://docs.vllm.ai/en/latest/features/structured_outputs/).

    def unauthorized(self, key: str | None) -> Any:  # --api-key middleware in vllm/entrypoints/openai/api_server.py
        return {"error": "Unauthorized"}

    def model_missing(self, model: str) -> Any:  # OpenAIServing._check_model (entrypoints/openai/serving_engine.py)
        return {"error": {"message": f"The model `{model}` does not exist.", "type": "NotFoundError",
                          "param": "model", "code": 404}}


class VLLMReasoning(VLLM):
    """vLLM serving a thinking model with a reasoning parser (`vllm serve Qwen/Qwen3-8B --reasoning-parser qwen3`):
    the reasoning goes to `reasoning_content`, the answer to `content` / `tool_calls`
    (https://docs.vllm.ai/en/latest/features/reasoning_outputs.html). Its tokens are generated like any other, so
    they count against max_tokens; the usage reports them only in completion_tokens (no reasoning_tokens detail).
    700 reasoning tokens before each answer (issue 20's measurement stub)."""

    name = "vllm-reasoning"
    reasoning_field = "reasoning_content"
    reports_reasoning_tokens = False

    def reasoning_tokens(self, body: dict[str, Any]) -> int | None:
        return 700


class Ollama(Personality):
    """Ollama's /v1 endpoint. Sources, at ollama/ollama fb30760996871fa9460115c753afd2c60d4ab0f7 (2026-08):
    https://github.com/ollama/ollama/blob/fb30760996871fa9460115c753afd2c60d4ab0f7/docs/api/openai-compatibility.mdx
    and openai/openai.go there: `tool_choice` is an unchecked field and the request
    struct has no such field (nor max_completion_tokens); max_tokens becomes num_predict; response_format
    json_object becomes format "json" and json_schema its schema."""

    name = "ollama"
    checks_model = True
    cap_keys = ("max_tokens",)
    owned_by = "library"  # openai/openai.go ToListCompletion: the model's namespace, "library" for official ones
    slots = 1  # OLLAMA_NUM_PARALLEL's default; the rest queue (https://docs.ollama.com/faq, concurrent requests)

    def route(self, method: str, path: str) -> Reject | None:
        # GET /api/version (https://github.com/ollama/ollama/blob/main/docs/api.md, "Version")
        return (200, {"version": "0.13.0"}) if (method, path) == ("GET", "/api/version") else None

    def model_missing(self, model: str) -> Any:  # server/routes.go + openai.NewError(404, ...)
        return {"error": {"message": f"model '{model}' not found", "type": "not_found_error", "param": None,
                          "code": None}}

    def reply_kind(self, body: dict[str, Any]) -> str | None:
        """tool_choice is ignored, so the model decides whatever it says (`auto_kind`). A response_format still
        constrains the content (Ollama's `format`)."""
        if not body.get("tools"):
            return None
        fmt = (body.get("response_format") or {}).get("type")
        return fmt if fmt in ("json_schema", "json_object") else auto_kind(body)


def _server_error(message: str) -> dict[str, Any]:
    """llama-server's error body for a std::runtime_error (format_error_response, ERROR_TYPE_SERVER)."""
    return {"error": {"code": 500, "message": message, "type": "server_error"}}


class LlamaCpp(Personality):
    """llama.cpp's llama-server started without --jinja (`--no-jinja`; current builds default to jinja).
    Source: oaicompat_chat_params_parse in tools/server/server-common.cpp at ggml-org/llama.cpp
    aa6192d38defc9a5d9fb2987413f71b18f214270; its runtime_errors reach the client through ex_wrapper
    (tools/server/server.cpp) as HTTP 500 server_error."""

    name = "llamacpp-server"
    jinja = False
    owned_by = "llamacpp"  # handle_models in tools/server/server.cpp
    slots = 4  # `--parallel` auto: 4 slots (ggml-org/llama.cpp#17989), reported as /props total_slots
    # params_from_json_cmpl: n_predict = n_predict ?? max_completion_tokens ?? max_tokens ?? default
    # (tools/server/server-task.cpp at 00efb3e184262872916bf136b3df63c1822a19bd); -1 means unlimited.
    cap_keys = ("n_predict", "max_completion_tokens", "max_tokens")
    # Single-model llama-server accepts and ignores `model` (continuedev/continue#11803), so no 404.

    def unauthorized(self, key: str | None) -> Any:  # --api-key: format_error_response("Invalid API Key", AUTH)
        return {"error": {"code": 401, "message": "Invalid API Key", "type": "authentication_error"}}

    def check_request(self, body: dict[str, Any]) -> Reject | None:
        # json_value(body, "tool_choice", std::string("auto")) falls back to "auto" for a non-string (an object
        # naming a function) - server-common.h json_value logs "Wrong type supplied" and returns the default.
        choice = body.get("tool_choice") if isinstance(body.get("tool_choice"), str) else "auto"
        if not self.jinja and body.get("tools"):
            return 500, _server_error("tools param requires --jinja flag")
        if not self.jinja and choice != "auto":
            return 500, _server_error("tool_choice param requires --jinja flag")
        kind = (body.get("response_format") or {}).get("type") or "text"
        if kind not in ("text", "json_object", "json_schema"):  # json_object takes an optional `schema`
            return 500, _server_error(f'response_format type must be one of "text" or "json_object", but got: {kind}')
        return None

    def reply_kind(self, body: dict[str, Any]) -> str | None:
        return _choice_kind(body)

    def route(self, method: str, path: str) -> Reject | None:
        # GET /props (tools/server/README.md): total_slots among the server's properties
        if (method, path) == ("GET", "/props"):
            return 200, {"total_slots": self.slots, "model_path": "model.gguf", "build_info": "stub"}
        return None


class LlamaCppJinja(LlamaCpp):
    """llama-server with --jinja: tools work; an object tool_choice reads as "auto" (see check_request)."""

    name = "llamacpp-jinja"
    jinja = True


class LMStudio(Personality):
    """LM Studio's OpenAI-compatible server (https://lmstudio.ai/docs/developer/openai-compat)."""

    name = "lmstudio"
    owned_by = "organization_owner"
    slots = 4  # "Max Concurrent Predictions" defaults to 4 (https://lmstudio.ai/docs/app/advanced/parallel-requests)
    checks_model = True  # note: with one model loaded, 0.3.14 answered any name (lmstudio-bug-tracker#619)
    cap_keys = ("max_tokens",)  # a documented payload parameter; max_completion_tokens is not (read: ignored)

    def check_request(self, body: dict[str, Any]) -> Reject | None:
        # Only json_schema is supported (https://lmstudio.ai/docs/developer/openai-compat/structured-output);
        # json_object answers 400 with a bare-string error (LM Studio 0.4.20, webai-at-home/webai-at-home#219;
        # lmstudio-bug-tracker#189 is the open request for json_object).
        if (body.get("response_format") or {}).get("type") == "json_object":
            return 400, {"error": "'response_format.type' must be 'json_schema' or 'text'"}
        return None

    def route(self, method: str, path: str) -> Reject | None:
        # GET /api/v0/models, LM Studio's REST API (https://lmstudio.ai/docs/app/api/endpoints/rest)
        if (method, path) == ("GET", "/api/v0/models"):
            return 200, {"object": "list", "data": [{"id": m, "object": "model", "type": "llm", "state": "loaded"}
                                                    for m in self.models]}
        return None

    def reply_kind(self, body: dict[str, Any]) -> str | None:
        # The tool-use docs (https://lmstudio.ai/docs/developer/openai-compat/tools) name only "auto", "none" and
        # "required"; what an object does is undocumented: read as "auto" (the model decides: content).
        return _choice_kind(body)
