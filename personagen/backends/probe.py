"""The capability probe: which structured-output mode an endpoint really supports, found by asking it once.

Servers differ (DESIGN.md, "Model servers differ; probe, don't assume"): Ollama ignores a forced `tool_choice`,
llama-server without `--jinja` answers HTTP 500 to any `tools`, LM Studio documents only string tool choices,
OpenAI's reasoning models reject a non-default temperature. Before anything is written, each distinct
(endpoint, model) gets one tiny question per mode, in order: a forced tool call, `json_schema`, then
`json_object` with the schema in the prompt. The first mode whose answer parses by its own path (a tool call for
function calling, content for the JSON modes) is used; a server error that names a parameter we can leave out
(temperature) or rename (max_tokens) is taken into account and the mode asked again. The report is recorded in
config.json, shown in the trace and printed by `personagen doctor`.

Input: `make_handle(mode, adjust)`, which builds a synchronous ModelHandle for a mode with the adjustments so far.
Output: a `ProbeReport`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import openai
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from personagen.agents.llm import METHODS, ModelAnswerError, ModelHandle, ask_sync
from personagen.backends.endpoint import BackendUnavailable
from personagen.settings import ConfigError

NATIVE_VIA = {"function_calling": "tool_call", "json_schema": "content", "json_mode": "content"}
NO_TOOL_HINT = "answered in content instead of calling the tool (the server ignores a forced tool_choice)"


class ProbeAnswer(BaseModel):
    """What a short sentence says about apples."""

    colour: str = Field(description="The colour of the apples, one word.")
    count: int = Field(description="How many apples there are.")


PROBE_MESSAGES = [SystemMessage("You read a sentence and answer questions about it."),
                  HumanMessage("Sentence: Three red apples lie on the table.\nWhat colour are the apples, and how many "
                               "are there?")]


@dataclass
class ModeResult:
    mode: str
    ok: bool
    detail: str
    latency_s: float = 0.0


@dataclass
class ProbeReport:
    base_url: str
    model: str
    results: list[ModeResult] = field(default_factory=list)
    chosen: str | None = None
    adjust: dict[str, Any] = field(default_factory=dict)  # e.g. {"temperature": "default"}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One line for the trace: what worked, what did not and why."""
        tried = "; ".join(f"{r.mode} {'ok' if r.ok else 'no: ' + r.detail}" for r in self.results)
        extra = "".join(f", {k} {v}" for k, v in self.adjust.items())
        return f"probe {self.base_url} {self.model}: {tried} -> {self.chosen or 'nothing works'}{extra}"


def server_message(exc: openai.APIStatusError) -> str:
    """The server's own words: the SDK keeps the error body's `error` value (an object, or a bare string as LM
    Studio sends) in `exc.body`."""
    body = exc.body.get("error", exc.body) if isinstance(exc.body, dict) else exc.body
    message = body.get("message") if isinstance(body, dict) else body if isinstance(body, str) else None
    return f"HTTP {exc.status_code}: {message or exc.message}"


def adjustment_for(message: str, adjust: dict[str, Any]) -> dict[str, Any] | None:
    """A change of request that answers a 400 naming a parameter (OpenAI's reasoning models), or None."""
    lower = message.lower()
    if "temperature" in lower and "temperature" not in adjust:
        return {**adjust, "temperature": "default"}
    if "max_tokens" in lower and "max_completion_tokens" in lower and "cap_field" not in adjust:
        return {**adjust, "cap_field": "max_completion_tokens"}
    return None


def try_mode(handle: ModelHandle) -> ModeResult:
    """One probe question in the handle's mode. Status errors propagate to `probe` (it may adjust and retry)."""
    start = time.perf_counter()
    try:
        answer = ask_sync(handle, PROBE_MESSAGES, ProbeAnswer)
    except ModelAnswerError as exc:
        return ModeResult(handle.method, False, str(exc).split(": ", 1)[-1], time.perf_counter() - start)
    latency = time.perf_counter() - start
    if answer.via != NATIVE_VIA[handle.method]:
        return ModeResult(handle.method, False, NO_TOOL_HINT, latency)
    return ModeResult(handle.method, True, f"answered by {answer.via}", latency)


def ask_mode(make_handle: Callable[[str, dict[str, Any]], ModelHandle], mode: str,
             report: ProbeReport) -> ModeResult:
    """The mode's result, retried with each adjustment a 400 asks for."""
    while True:
        try:
            return try_mode(make_handle(mode, report.adjust))
        except openai.BadRequestError as exc:
            adjusted = adjustment_for(server_message(exc), report.adjust)
            if adjusted is None:
                return ModeResult(mode, False, server_message(exc))
            report.adjust = adjusted
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise ConfigError(f"{report.base_url} refused our credentials ({server_message(exc)}): export the key "
                              "and name its variable with api_key_env (or set PERSONAGEN_API_KEY)") from None
        except openai.NotFoundError as exc:
            raise ConfigError(f"{report.base_url} does not serve model '{report.model}' ({server_message(exc)}); "
                              "see `personagen doctor --base-url URL` for the models it lists") from None
        except openai.APIStatusError as exc:
            return ModeResult(mode, False, server_message(exc))
        except openai.APIConnectionError as exc:
            raise BackendUnavailable(f"lost the model server at {report.base_url} while probing it: {exc}") from None


def probe(make_handle: Callable[[str, dict[str, Any]], ModelHandle], base_url: str, model: str,
          modes: tuple[str, ...] = METHODS, *, all_modes: bool = False) -> ProbeReport:
    """Ask each mode in turn until one works (`all_modes`: ask every mode, for the doctor's table)."""
    report = ProbeReport(base_url, model)
    for mode in modes:
        result = ask_mode(make_handle, mode, report)
        report.results.append(result)
        if result.ok and report.chosen is None:
            report.chosen = mode
            if not all_modes:
                break
    return report


def no_mode_error(report: ProbeReport) -> BackendUnavailable:
    """What to tell the user when no structured-output mode works."""
    reasons = "; ".join(f"{r.mode}: {r.detail}" for r in report.results)
    return BackendUnavailable(
        f"{report.base_url} ({report.model}) gave no usable structured answer in any mode ({reasons}). "
        "Run `personagen doctor` for details; for llama-server start it with --jinja; or choose a model that "
        "follows instructions and pin structured_output in [models.default]")
