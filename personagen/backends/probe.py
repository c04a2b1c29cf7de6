"""The capability probe: which structured-output mode an endpoint really supports, found by asking it.

Servers differ (DESIGN.md, "Model servers differ; probe, don't assume"): Ollama ignores `tool_choice`,
llama-server reads an object `tool_choice` as "auto" (and without `--jinja` answers HTTP 500 to any `tools`),
LM Studio documents only string tool choices, OpenAI's reasoning models reject a non-default temperature. Before
anything is written, each distinct (endpoint, model) is asked, mode by mode in order (a forced tool call,
`json_schema`, `json_object` with the schema in the prompt):

1. a tiny question. In function calling it comes with two tools, the one that fits the question first and the
   forced one second: a tool-capable model on a server that ignores the forced choice calls the first (or writes
   prose), so only a server that honours forcing passes. The answer must parse by the mode's own path.
2. one question with the largest schema the run sends, which must parse too (a strict-schema refusal, a cap too
   small for the answer).

A 400 naming a parameter we can leave out (temperature, parallel_tool_calls) or rename (max_tokens) is taken into
account and the mode asked again. An answer that shows reasoning (a `reasoning_content` or `reasoning` field,
`<think>`, reasoning tokens in the usage), or one cut at the cap with nothing visible (the cap spent on hidden
reasoning), marks a thinking model, whose cap is raised to hold its reasoning; an answer cut at the cap with visible
output and no reasoning is a model writing past the cap (not thinking): the report says so and the mode is judged on
that answer. 429/5xx answers are asked again after a pause (RetryInfo or Retry-After, else back-off); a mode that
does not answer within `[limits] probe_timeout_s` is skipped as "too slow" and the next one tried; only an
unreachable server stops the probe. Bad keys, unknown models and spent quotas stop the run with the fix.
The report is recorded in config.json, shown in the trace and printed by `personagen doctor`.

Input: `make_handle(mode, adjust)`, which builds a synchronous ModelHandle for a mode with the adjustments so far.
Output: a `ProbeReport`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from personagen.agents.llm import METHODS, ModelAnswerError, ModelHandle, interpret, messages_as_dicts, prepared
from personagen.agents.provider_errors import bad_key, body_delay, body_message, quota_exhausted, transient
from personagen.backends.endpoint import BackendUnavailable, is_thinking_model
from personagen.backends.probe_answers import cut_answer, thinks
from personagen.backends.probe_schemas import LARGE_MESSAGES, largest_schema
from personagen.settings import ConfigError

NATIVE_VIA = {"function_calling": "tool_call", "json_schema": "content", "json_mode": "content"}
NO_TOOL_HINT = "answered in content instead of calling the tool (the server ignores a forced tool_choice)"
BACKOFF_S = (2.0, 5.0, 10.0)  # pauses before asking again after a 429/5xx (a server's own delay wins, <= 60 s)


class ReportApples(BaseModel):
    """Report the colour and the number of the apples in the sentence."""

    colour: str = Field(description="The colour of the apples, one word.")
    count: int = Field(description="How many apples there are.")


class ProbeAnswer(BaseModel):
    """Fill in this form (a check that the named tool is the one called)."""

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
    adjust: dict[str, Any] = field(default_factory=dict)  # e.g. {"temperature": "default", "thinking": True}
    finding: str | None = None  # e.g. the answers run past the output cap (a model that writes on, not thinking)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One line for the trace: what worked, what did not and why."""
        tried = "; ".join(f"{r.mode} {'ok' if r.ok else 'no: ' + r.detail}" for r in self.results)
        extra = "".join(f", {k} {v}" for k, v in self.adjust.items()) + (f"; {self.finding}" if self.finding else "")
        return f"probe {self.base_url} {self.model}: {tried} -> {self.chosen or 'nothing works'}{extra}"


def server_message(exc: openai.APIStatusError) -> str:
    """The server's own words (`exc.body`: OpenAI's error object, LM Studio's bare string, Google's list)."""
    return f"HTTP {exc.status_code}: {body_message(exc.body) or exc.message}"


def adjustment_for(message: str, adjust: dict[str, Any]) -> dict[str, Any] | None:
    """A change of request that answers a 400 naming a parameter (OpenAI's reasoning models), or None."""
    lower = message.lower()
    if "temperature" in lower and "temperature" not in adjust:
        return {**adjust, "temperature": "default"}
    if "max_tokens" in lower and "max_completion_tokens" in lower and "cap_field" not in adjust:
        return {**adjust, "cap_field": "max_completion_tokens"}
    return None


def probe_fields(handle: ModelHandle, schema: type[BaseModel]) -> dict[str, Any]:
    """The request fields of a probe question: in function calling, the fitting decoy tool before the forced one."""
    fields = handle.fields(schema)
    if handle.method == "function_calling" and schema is ProbeAnswer:
        decoy = handle.fields(ReportApples)["tools"][0]
        fields = {**fields, "tools": [decoy, *fields["tools"]]}
    return fields


def ask(handle: ModelHandle, messages: list[BaseMessage], schema: type[BaseModel],
        report: ProbeReport) -> tuple[AIMessage, float] | None:
    """One probe question: (the answer, seconds). An answer that marks a thinking model (`thinks`) sets
    `thinking` (None, ask again, when the answer was cut at the ordinary cap); a cut answer that does not is noted
    as one running past the cap, and judged as it is."""
    sent = prepared(handle, messages, schema)
    start = time.perf_counter()
    try:
        result = handle.chat.invoke(sent, **probe_fields(handle, schema))
    except openai.LengthFinishReasonError as exc:
        result = cut_answer(exc)
    latency = time.perf_counter() - start
    cut = (result.response_metadata or {}).get("finish_reason") == "length"
    known = report.adjust.get("thinking") or is_thinking_model(report.model)  # its cap already holds reasoning
    if known:
        return result, latency
    if thinks(result, cut):
        report.adjust = {**report.adjust, "thinking": True}
        if cut:
            return None
    elif cut:
        cap = getattr(handle.chat, "max_tokens", None)
        report.finding = (f"the answers run past the output cap of {cap} tokens without reasoning (not a thinking "
                          "model): raise max_tokens in its [models.*] entry if the model needs it")
    return result, latency


def check(handle: ModelHandle, messages: list[BaseMessage], schema: type[BaseModel], report: ProbeReport,
          label: str = "") -> ModeResult | None:
    """Ask one question in the handle's mode and judge the answer (None: ask again, the adjustments changed)."""
    asked = ask(handle, messages, schema, report)
    if asked is None:
        return None
    result, latency = asked
    mode = handle.method
    called = [c.get("name") for c in result.tool_calls]
    if mode == "function_calling" and called and called[0] != schema.__name__:
        return ModeResult(mode, False, f"called {called[0]}, not the forced {schema.__name__} (the server ignores "
                                       "a forced tool_choice)", latency)
    try:
        answer = interpret(handle, result, schema, messages_as_dicts(messages), latency)
    except ModelAnswerError as exc:
        return ModeResult(mode, False, label + str(exc).split(": ", 1)[-1], latency)
    if answer.via != NATIVE_VIA[mode]:
        return ModeResult(mode, False, label + NO_TOOL_HINT, latency)
    return ModeResult(mode, True, f"answered by {answer.via}", latency)


def try_mode(handle: ModelHandle, report: ProbeReport, large: type[BaseModel] | None) -> ModeResult | None:
    """The tiny question, then the largest schema (None: ask again). Status errors propagate to `ask_mode`."""
    result = check(handle, PROBE_MESSAGES, ProbeAnswer, report)
    if result is None or not result.ok or large is None:
        return result
    big = check(handle, LARGE_MESSAGES, large, report, label=f"with the largest schema ({large.__name__}): ")
    if big is None:
        return None
    return ModeResult(result.mode, big.ok, result.detail if big.ok else big.detail, result.latency_s + big.latency_s)


def pause_for(exc: openai.APIStatusError, attempt: int) -> float:
    """The server's own delay (body RetryInfo, Retry-After), at most 60 s; else the back-off of this attempt."""
    asked = body_delay(exc.body)
    if asked is None:
        try:
            asked = float(exc.response.headers.get("retry-after", ""))
        except ValueError:
            asked = None
    return min(60.0, asked) if asked is not None else BACKOFF_S[attempt]


def status_error(exc: openai.APIStatusError, report: ProbeReport) -> None:
    """Raise what stops the run: a refused key, an unknown model, a spent quota."""
    if bad_key(exc.status_code, exc.body):
        raise ConfigError(f"{report.base_url} refused our credentials ({server_message(exc)}): export the key "
                          "and name its variable with api_key_env (or set PERSONAGEN_API_KEY)") from None
    if exc.status_code == 404:
        raise ConfigError(f"{report.base_url} does not serve model '{report.model}' ({server_message(exc)}); "
                          "see `personagen doctor --base-url URL` for the models it lists") from None
    fix = quota_exhausted(exc.status_code, exc.body)
    if fix:
        raise BackendUnavailable(f"{report.base_url} ({report.model}): {fix} ({server_message(exc)})") from None


def ask_mode(make_handle: Callable[[str, dict[str, Any]], ModelHandle], mode: str, report: ProbeReport,
             large: type[BaseModel] | None = None, timeout: float = 60.0) -> ModeResult:
    """The mode's result, asked again after each adjustment a 400 or an answer asks for, and after each pause a
    429/5xx asks for (BACKOFF_S many times)."""
    attempt = 0
    while True:
        start = time.perf_counter()
        try:
            result = try_mode(make_handle(mode, report.adjust), report, large)
            if result is not None:
                return result
        except openai.APITimeoutError:
            waited = max(timeout, time.perf_counter() - start)
            return ModeResult(mode, False, f"too slow (no answer in {waited:.0f} s; [limits] probe_timeout_s)",
                              waited)
        except openai.APIConnectionError as exc:
            raise BackendUnavailable(f"cannot reach the model server at {report.base_url} ({exc}). Is it running? "
                                     "Check --base-url.") from None
        except openai.APIStatusError as exc:
            status_error(exc, report)
            adjusted = adjustment_for(server_message(exc), report.adjust) if exc.status_code == 400 else None
            if adjusted is not None:
                report.adjust = adjusted
            elif transient(exc.status_code, server_message(exc)) and attempt < len(BACKOFF_S):
                time.sleep(pause_for(exc, attempt))
                attempt += 1
            else:
                return ModeResult(mode, False, server_message(exc), time.perf_counter() - start)


def probe(make_handle: Callable[[str, dict[str, Any]], ModelHandle], base_url: str, model: str,
          modes: tuple[str, ...] = METHODS, *, all_modes: bool = False, timeout: float = 60.0,
          large: type[BaseModel] | None = None) -> ProbeReport:
    """Ask each mode in turn until one works (`all_modes`: ask every mode, for the doctor's table)."""
    report = ProbeReport(base_url, model)
    large = large or largest_schema()
    for mode in modes:
        result = ask_mode(make_handle, mode, report, large, timeout)
        report.results.append(result)
        if result.ok and report.chosen is None:
            report.chosen = mode
            if not all_modes:
                break
    return report


def no_mode_error(report: ProbeReport) -> BackendUnavailable:
    """What to tell the user when no structured-output mode works, with the fix its reasons point to."""
    reasons = "; ".join(f"{r.mode}: {r.detail}" for r in report.results)
    details = " ".join(r.detail for r in report.results)
    if "jinja" in details:
        fix = "for llama-server start it with --jinja"
    elif all(r.detail.startswith("too slow") for r in report.results):
        fix = "raise [limits] probe_timeout_s, or use a faster model or machine"
    elif "output cap" in details:
        fix = "raise max_tokens in [models.default]"
    else:
        fix = "choose a model that follows instructions and pin structured_output in [models.default]"
    return BackendUnavailable(f"{report.base_url} ({report.model}) gave no usable structured answer in any mode "
                              f"({reasons}). Run `personagen doctor` for details; {fix}")
