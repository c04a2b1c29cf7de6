"""Early stop: a run that cannot succeed stops soon, says why and what to change, and never ends quietly empty.

As NeMo Data Designer's early shutdown does for failing generators, the run watches its first results:
- the first `early_stop_answers` model answers all failed to parse (a server that ignores a forced tool choice,
  answers cut at the output cap, a model that does not follow the schema);
- of the first `early_stop_personas` finished personas (all of them in a smaller run), more than
  `early_stop_share` dropped, or kept no text, for one same reason (a critic the model cannot satisfy).
Either stops the run through `RunControl` with status `failed` (resumable), the full reason and the fix.
`empty_run_message` names the cause when a run ends with no text at all: such a run never counts as finished.

Input: the run's events and finished persona rows (the same the run folder gets). Output: calls to `stop`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from personagen.agents.context import Limits
from personagen.agents.events import EventType

DOCTOR = "run `personagen doctor` (with the same --base-url/--model/--config) to see which structured-output mode works"
ANSWER_HINTS = {
    "no_tool_call": "the server ignores the forced tool choice and answers in prose: " + DOCTOR
                    + ', or set structured_output = "json_schema" in [models.default]',
    "truncated": "answers are cut off at the output cap: raise max_tokens in [models.default] or [models.<agent>] "
                 "(reasoning models count their reasoning tokens in it)",
    "invalid": "the model's answers do not fit the schema: " + DOCTOR + ", or use a model that follows instructions",
    "no_json": "the model's answers hold no JSON: " + DOCTOR + ", or use a model that follows instructions",
}
PARSE = "parse"  # the pseudo-critic of a stage whose model answer did not parse (agents/critics/stage.py)


def critic_hint(critic: str, answer_kind: str | None = None) -> str:
    """The fix for personas failing at `critic`; for unparseable answers, the fix of their most common kind."""
    if critic == PARSE:
        return ANSWER_HINTS.get(answer_kind or "invalid", ANSWER_HINTS["invalid"])
    return (f"if the critic is too strict for this model, make it advisory ([critics] advisory = [\"{critic}\"]) "
            f"or disable it (--no-critic {critic}); `personagen inspect RUN --rejected` shows what it rejected")


def where(stage: str, critic: str) -> str:
    return f"stage {stage} ({'no usable model answer' if critic == PARSE else 'critic ' + critic})"


def blocking_critics(verdicts: list[dict[str, Any]]) -> list[str]:
    return [v["critic"] for v in verdicts if not v.get("passed") and not v.get("advisory")]


def failure_of(row: dict[str, Any]) -> tuple[str, str] | None:
    """(stage, critic) that made a finished persona yield no text, or None when it yielded texts."""
    if row["status"] == "dropped":
        last = row["rejected"][-1] if row.get("rejected") else {"stage": "base", "verdicts": []}
        critics = blocking_critics(last.get("verdicts") or []) or [PARSE]
        return last["stage"], critics[0]
    if row["texts"]["accepted"] == 0 and row["texts"]["dropped"]:
        critics = Counter(c for t in row.get("dropped_texts") or [] for c in blocking_critics(t.get("verdicts") or []))
        return "expression", critics.most_common(1)[0][0] if critics else PARSE
    return None


class EarlyStop:
    """Watches a run's first answers and personas; calls `stop(message)` once when the run cannot succeed."""

    def __init__(self, limits: Limits, planned: int, stop: Callable[[str], None]) -> None:
        self.limits, self.stop = limits, stop
        self.window = min(limits.early_stop_personas, planned)
        self.answers: Counter[str] = Counter()  # error kinds of the first answers
        self.error_kinds: Counter[str] = Counter()  # error kinds of all answers
        self.first_error: str | None = None
        self.answered = 0
        self.finished = 0
        self.failures: Counter[tuple[str, str]] = Counter()
        self.stopped = False

    def event(self, e: dict[str, Any]) -> None:
        if e["type"] != EventType.LLM_CALL:
            return
        data = e.get("data") or {}
        if "error" in data:
            self.error_kinds[data.get("error_kind") or "invalid"] += 1
        if self.answered >= self.limits.early_stop_answers:
            return
        self.answered += 1
        if "error" in data:
            self.answers[data.get("error_kind") or "invalid"] += 1
            self.first_error = self.first_error or data["error"]
        if self.answered == self.limits.early_stop_answers and self.answers.total() == self.answered:
            self._stop(self.answers_message())

    def answers_message(self) -> str:
        kind, _ = self.answers.most_common(1)[0]
        kinds = ", ".join(f"{n} {k}" for k, n in self.answers.most_common())
        return (f"the first {self.answered} model answers all failed to parse ({kinds}; first: {self.first_error}). "
                f"Fix: {ANSWER_HINTS.get(kind, ANSWER_HINTS['invalid'])}")

    def persona(self, row: dict[str, Any]) -> None:
        self.finished += 1
        failure = failure_of(row)
        if failure is not None:
            self.failures[failure] += 1
        if self.finished > self.window or not self.failures:
            return
        (stage, critic), count = self.failures.most_common(1)[0]
        if count > self.limits.early_stop_share * self.window:
            self._stop(f"{count} of the first {self.finished} personas yielded no text, all at {where(stage, critic)}. "
                       f"Fix: {self.hint(critic)}")

    def hint(self, critic: str) -> str:
        kind = self.error_kinds.most_common(1)[0][0] if self.error_kinds else None
        return critic_hint(critic, kind)

    def empty_run_message(self) -> str:
        """Why a finished run holds no text, and the fix."""
        if not self.failures:
            return "no text was accepted (no persona finished)"
        (stage, critic), count = self.failures.most_common(1)[0]
        return (f"no text was accepted: {count} of {self.finished} personas failed at {where(stage, critic)}. "
                f"Fix: {self.hint(critic)}")

    def _stop(self, message: str) -> None:
        if not self.stopped:
            self.stopped = True
            self.stop(message)
