"""How the probe reads an answer cut at the output cap: a thinking model's (its reasoning spent the cap) or a model
writing past the cap (visible output, no reasoning), which needs no larger cap to be judged (personagen/backends/
probe.py).

Input: the AIMessage of a probe question (or the openai SDK's LengthFinishReasonError). Output: whether it marks a
thinking model.
"""

from __future__ import annotations

import openai
from langchain_core.messages import AIMessage

from personagen.agents.answers import shows_reasoning, strip_reasoning, text_of


def cut_answer(exc: openai.LengthFinishReasonError) -> AIMessage:
    """The cut answer the openai SDK raised instead of returning (its `parse()`, which ChatOpenAI uses for any
    `response_format`, refuses finish reason "length"): its text, tool-call arguments, reasoning fields and
    reasoning tokens, so that it is judged like a cut answer that came back."""
    completion = getattr(exc, "completion", None)
    choices = getattr(completion, "choices", None) or []
    message = choices[0].message if choices else None
    extra = getattr(message, "model_extra", None) or {}
    calls = [{"name": getattr(c.function, "name", ""), "args": getattr(c.function, "arguments", ""), "id": c.id,
              "error": None, "type": "invalid_tool_call"}
             for c in getattr(message, "tool_calls", None) or [] if getattr(c, "function", None) is not None]
    used = getattr(completion, "usage", None)
    details = getattr(used, "completion_tokens_details", None)
    usage = {"input_tokens": used.prompt_tokens, "output_tokens": used.completion_tokens,
             "total_tokens": used.total_tokens,
             "output_token_details": {"reasoning": getattr(details, "reasoning_tokens", None) or 0}} if used else None
    return AIMessage(getattr(message, "content", None) or "", response_metadata={"finish_reason": "length"},
                     additional_kwargs={k: extra[k] for k in ("reasoning_content", "reasoning") if extra.get(k)},
                     invalid_tool_calls=calls, usage_metadata=usage)


def visible(message: AIMessage) -> bool:
    """Whether the answer shows any output: text outside reasoning blocks, or tool-call arguments."""
    args = [c.get("args") for c in message.tool_calls] + [c.get("args") for c in message.invalid_tool_calls]
    return bool(strip_reasoning(text_of(message.content)).strip() or any(args))


def thinks(message: AIMessage, cut: bool) -> bool:
    """Whether an answer marks a thinking model. It shows reasoning: `reasoning_content` (llama-server's default
    `--reasoning-format`, https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md; vLLM with a
    reasoning parser, https://docs.vllm.ai/en/latest/features/reasoning_outputs/, which now also says `reasoning`),
    `reasoning` (Ollama, https://docs.ollama.com/api/openai-compatibility; OpenRouter), `<think>` in the content
    (llama-server `--reasoning-format none`, vLLM without a parser) or reasoning tokens in the usage
    (`completion_tokens_details.reasoning_tokens`, https://platform.openai.com/docs/guides/reasoning). Or it was
    cut with nothing visible: the cap was spent on reasoning the server does not show (OpenAI's o-series returns
    no reasoning text; the reasoning guide: the cap can be reached "before any visible output tokens are
    produced"). A cut answer with visible output and no reasoning is a model writing past the cap."""
    return shows_reasoning(message) or (cut and not visible(message))
