"""Server personalities for the stub: each follows one real model server's documented chat-completions behaviour.

    python bench/stub_server.py --personality openai --models gpt-4o-mini,o4-mini --require-key sk-test

`generic` is today's stub (no checks; the server does not even build a Personality for it). The others are
openai, azure, vllm, ollama, llamacpp-server (llama-server without --jinja), llamacpp-jinja and lmstudio.
A personality has two hooks: `check(body, headers)` returns (HTTP status, JSON body) to refuse a request, or
None; `payload(body, malformed)` builds the answer (reply kind as that server's model would give it, token
caps, reasoning tokens). Each behaviour cites its source beside the code; where the docs are silent the comment
says so and the most plausible behaviour is chosen. `strict_violations(schema)` (OpenAI's strict Structured
Outputs subset) is defined beside the schema generator in stub_schema.py and re-exported here.
"""

from __future__ import annotations

from typing import Any

try:  # imported as bench.stub_personalities (tests) or as a sibling script module
    from .stub_replies import apply_cap, cap_of, completion_payload
    from .stub_schema import AZURE_STRICT_KEYWORDS, OPENAI_STRICT_KEYWORDS, strict_violations
except ImportError:  # pragma: no cover - script mode
    from stub_replies import apply_cap, cap_of, completion_payload  # type: ignore[no-redef]
    from stub_schema import AZURE_STRICT_KEYWORDS, OPENAI_STRICT_KEYWORDS, strict_violations  # type: ignore[no-redef]

__all__ = ["PERSONALITIES", "Personality", "credential_of", "make_personality", "strict_violations"]
Reject = tuple[int, Any]  # (HTTP status, JSON body) of a refused request


def oai_error(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error object (type invalid_request_error)."""
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def credential_of(headers: dict[str, str], names: tuple[str, ...] = ("authorization", "api-key")) -> str | None:
    """The key a request carries: the Bearer value of Authorization, else the api-key header (first of `names`)."""
    for name in names:
        value = headers.get(name, "").strip()
        if name == "authorization" and value[:7].lower() == "bearer ":
            value = value[7:].strip()
        if value:
            return value
    return None


class Personality:
    """Base behaviour: optional --require-key, model list check, no caps (subclasses narrow it down)."""

    name = "generic"
    key_headers: tuple[str, ...] = ("authorization", "api-key")
    needs_key = False  # 401 when no credential at all
    checks_model = False  # 404 for a model outside --models
    cap_keys: tuple[str, ...] = ()  # request fields read as the completion-token cap, in the server's precedence
    reasoning_field: str | None = None  # where a thinking model's reasoning text goes (reasoning_content, reasoning)
    owned_by = "stub"  # the `owned_by` of its GET /v1/models entries
    slots: int | None = None  # requests it runs at once, the rest queue (None: no limit)
    reports_reasoning_tokens = True  # usage.completion_tokens_details.reasoning_tokens

    def __init__(self, models: list[str], require_key: str | None = None) -> None:
        self.models, self.require_key = models, require_key

    def check(self, body: dict[str, Any], headers: dict[str, str]) -> Reject | None:
        """Refuse the request (status, body) or None to answer it."""
        return self.check_auth(headers) or self.check_model(body) or self.check_request(body)

    def check_request(self, body: dict[str, Any]) -> Reject | None:  # server-specific refusals of the parameters
        return None

    def check_auth(self, headers: dict[str, str]) -> Reject | None:
        key = credential_of(headers, self.key_headers)
        if (key is None and (self.needs_key or self.require_key)) or (self.require_key and key != self.require_key):
            return 401, self.unauthorized(key)
        return None

    def check_model(self, body: dict[str, Any]) -> Reject | None:
        model = body.get("model")
        return (404, self.model_missing(str(model))) if self.checks_model and model not in self.models else None

    def unauthorized(self, key: str | None) -> Any:
        return oai_error("Incorrect API key provided.", None, "invalid_api_key")

    def model_missing(self, model: str) -> Any:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return oai_error(message, None, "model_not_found")

    def reply_kind(self, body: dict[str, Any]) -> str | None:  # override of stub_replies.reply_kind (None: keep)
        return None

    def route(self, method: str, path: str) -> Reject | None:
        """(status, JSON body) of a server's own endpoint beside the OpenAI ones (path without /v1), or None."""
        return None

    def reasoning_tokens(self, body: dict[str, Any]) -> int | None:
        """Hidden reasoning tokens counted in the cap (None: the server reports no completion_tokens_details)."""
        return None

    def payload(self, body: dict[str, Any], malformed: bool = False) -> tuple[dict[str, Any], str]:
        """(chat.completion object, reply kind) as this server would answer."""
        payload, kind = completion_payload(body, malformed, self.reply_kind(body))
        cap, reasoning = cap_of(body, *self.cap_keys), self.reasoning_tokens(body)
        if cap is not None or reasoning is not None:
            apply_cap(payload, cap, reasoning)
        if reasoning and self.reasoning_field:  # the reasoning itself, beside the answer (4 characters a token)
            payload["choices"][0]["message"][self.reasoning_field] = ("Let me think. " * reasoning)[: 4 * reasoning]
        if not self.reports_reasoning_tokens:
            payload["usage"].pop("completion_tokens_details", None)
        return payload, kind


def _mentions_json(messages: Any) -> bool:
    return any("json" in str(m.get("content", "")).lower() for m in messages or [] if isinstance(m, dict))


# Reasoning models: https://platform.openai.com/docs/guides/reasoning (model list, reasoning_effort values); Azure:
# MicrosoftDocs/azure-ai-docs articles/ai-foundry/openai/how-to/reasoning.md @04973be0b4a11704b05fd21a870277552de17ed3
# ("Not Supported: temperature, top_p, ..., max_tokens"; reasoning_tokens in completion_tokens_details).
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
# How many hidden tokens each effort "spends" (the docs give no numbers: "a few hundred to tens of thousands").
REASONING_TOKENS = {"none": 0, "minimal": 64, "low": 200, "medium": 500, "high": 1500, "xhigh": 3000}


class OpenAI(Personality):
    """api.openai.com: Bearer key, model list, reasoning-model rules, JSON mode word rule, strict schema subset."""

    name = "openai"
    key_headers = ("authorization",)  # the API reads only `Authorization: Bearer`
    needs_key = True
    checks_model = True
    # max_completion_tokens "includes visible output tokens and reasoning tokens"; max_tokens still works for
    # non-reasoning models (https://platform.openai.com/docs/api-reference/chat/create).
    cap_keys = ("max_completion_tokens", "max_tokens")
    strict_keywords = OPENAI_STRICT_KEYWORDS
    schema_code: str | None = "invalid_json_schema"  # the code of current schema errors (older ones: null)

    def check_request(self, body: dict[str, Any]) -> Reject | None:
        return self.check_params(body) or self.check_format(body) or self.check_tools(body)

    def unauthorized(self, key: str | None) -> Any:
        if key is None:  # the API's wording for a request without a key (as quoted in many bug reports)
            return oai_error("You didn't provide an API key. You need to provide your API key in an Authorization "
                             "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
                             "field (with blank username) if you're accessing the API from your browser and are "
                             "prompted for a username and password. You can obtain an API key from "
                             "https://platform.openai.com/account/api-keys.")
        return oai_error(f"Incorrect API key provided: {key[:3]}***{key[-4:]}. You can find your API key at "
                         "https://platform.openai.com/account/api-keys.", None, "invalid_api_key")

    def is_reasoning(self, body: dict[str, Any]) -> bool:
        return str(body.get("model") or "").startswith(REASONING_PREFIXES)

    def check_params(self, body: dict[str, Any]) -> Reject | None:
        """Reasoning models refuse a temperature other than 1 and max_tokens (their cap is max_completion_tokens).
        The texts are the API's, as quoted in QwenLM/qwen-code#921, holoviz/lumen#1087 (temperature) and
        griptape-ai/ComfyUI-Griptape#312, teilomillet/gollm#33 (max_tokens); the docs give no error texts."""
        if not self.is_reasoning(body):
            if body.get("reasoning_effort") is not None:  # API reference: reasoning models only; wording assumed
                return 400, oai_error("Unsupported parameter: 'reasoning_effort' is not supported with this model.",
                                      "reasoning_effort", "unsupported_parameter")
            return None
        temperature = body.get("temperature")
        if temperature is not None and temperature != 1:
            return 400, oai_error(f"Unsupported value: 'temperature' does not support {temperature} with this "
                                  "model. Only the default (1) value is supported.", "temperature", "unsupported_value")
        if body.get("max_tokens") is not None:
            return 400, oai_error("Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                                  "'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter")
        if "parallel_tool_calls" in body and str(body.get("model")).startswith(("o1", "o3", "o4-mini")):
            # the API's text as quoted in evalstate/fast-agent#279 (o4-mini) and langchain-ai/langchain#29704 (o3-mini)
            return 400, oai_error("Unsupported parameter: 'parallel_tool_calls' is not supported with this model.",
                                  "parallel_tool_calls", "unsupported_parameter")
        return None

    def check_format(self, body: dict[str, Any]) -> Reject | None:
        """JSON mode needs "json" in the messages; strict json_schema must stay in the documented subset.
        https://platform.openai.com/docs/guides/structured-outputs#json-mode: "the API will throw an error if
        the string "JSON" does not appear somewhere in the context" (the text below is the API's 400 message).
        Schema errors read "Invalid schema for response_format 'X': In context=(...), ..." (dottxt-ai/outlines#844,
        moeru-ai/xsai#202)."""
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_object" and not _mentions_json(body.get("messages")):
            return 400, oai_error("'messages' must contain the word 'json' in some form, to use 'response_format' "
                                  "of type 'json_object'.", "messages")
        spec = fmt.get("json_schema") or {}
        if fmt.get("type") == "json_schema" and spec.get("strict"):
            label = f"response_format '{spec.get('name', 'response')}'"
            return self.strict_error(spec.get("schema"), label, "response_format", self.schema_code)
        return None

    def check_tools(self, body: dict[str, Any]) -> Reject | None:
        """Functions with strict: true get the same subset check on `parameters`
        (https://platform.openai.com/docs/guides/function-calling#strict-mode)."""
        for i, tool in enumerate(body.get("tools") or []):
            fn = (tool.get("function") or {}) if isinstance(tool, dict) else {}
            bad = fn.get("strict") and self.strict_error(
                fn.get("parameters"), f"function '{fn.get('name')}'", f"tools[{i}].function.parameters",
                "invalid_function_parameters")
            if bad:
                return bad
        return None

    def strict_error(self, schema: Any, label: str, param: str, code: str | None) -> Reject | None:
        bad = strict_violations(schema or {}, self.strict_keywords)
        return (400, oai_error(f"Invalid schema for {label}: {bad[0]}", param, code)) if bad else None

    def reasoning_tokens(self, body: dict[str, Any]) -> int | None:
        """A fixed hidden cost per effort (default medium); finish_reason "length" with nothing visible when the
        cap leaves no room (https://platform.openai.com/docs/guides/reasoning#allocating-space-for-reasoning)."""
        if not self.is_reasoning(body):
            return 0
        return REASONING_TOKENS.get(str(body.get("reasoning_effort") or "medium"), REASONING_TOKENS["medium"])


class Azure(OpenAI):
    """Azure OpenAI v1 API (https://RES.openai.azure.com/openai/v1/): OpenAI's rules, Azure's key header, Azure's
    narrower strict subset and Azure's error bodies."""

    name = "azure"
    # `api-key: KEY` or `Authorization: Bearer TOKEN`, both shown for the v1 API in MicrosoftDocs/azure-ai-docs
    # articles/ai-foundry/openai/api-version-lifecycle.md @00f98cc3f38c78e172e2e3b6be5711333ad37d10
    key_headers = ("api-key", "authorization")
    strict_keywords = AZURE_STRICT_KEYWORDS  # its doc's "Unsupported type-specific keywords" table (stub_schema.py)
    schema_code = None  # Azure-served schema errors carry code null (moeru-ai/xsai#202, dottxt-ai/outlines#844)

    def unauthorized(self, key: str | None) -> Any:  # error bodies as quoted in client bug reports/tests
        return {"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API "
                          "endpoint. Make sure to provide a valid key for an active subscription and use a correct "
                          "regional API endpoint for your resource."}}

    def model_missing(self, model: str) -> Any:  # the model is a deployment name on Azure
        return {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not "
                          "exist. If you created the deployment within the last 5 minutes, please wait a moment and "
                          "try again."}}


# the other servers subclass Personality above, so they are imported after it
try:
    from .stub_local import VLLM, LlamaCpp, LlamaCppJinja, LMStudio, Ollama, VLLMReasoning  # noqa: E402
    from .stub_providers import PROVIDERS  # noqa: E402
except ImportError:  # pragma: no cover - script mode
    from stub_local import VLLM, LlamaCpp, LlamaCppJinja, LMStudio, Ollama, VLLMReasoning  # type: ignore # noqa: E402
    from stub_providers import PROVIDERS  # type: ignore[no-redef]  # noqa: E402

PERSONALITIES: dict[str, type[Personality]] = {
    cls.name: cls for cls in (Personality, OpenAI, Azure, VLLM, VLLMReasoning, Ollama, LlamaCpp, LlamaCppJinja,
                              LMStudio, *PROVIDERS)
}


def make_personality(name: str, models: list[str], require_key: str | None = None) -> Personality | None:
    """The personality for --personality NAME; None for plain `generic` (the server skips every hook)."""
    if name not in PERSONALITIES:
        raise ValueError(f"unknown personality {name!r}; choose one of {', '.join(PERSONALITIES)}")
    if name == "generic" and not require_key:
        return None
    return PERSONALITIES[name](models, require_key)
