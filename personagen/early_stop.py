"""The health watch: a run that cannot succeed stops soon, says why and what to change, and never ends quietly empty.

As NeMo Data Designer's early shutdown does for failing generators, the run watches its results on rolling
windows over the whole run (not only its start), by cause:
- the last `early_stop_answers` model answers all failed (unparseable: a server that ignores a forced tool choice,
  answers cut at the output cap, a model that does not follow the schema; or refused about their prompt: a
  content filter, a context overflow);
- of the last `early_stop_personas` finished personas (all of them in a smaller run), more than
  `early_stop_share` dropped or kept no text, whatever the causes (each cause is named with its count; the fix is
  the commonest one's: a critic the model cannot satisfy, unusable answers).
Either stops the run through `RunControl` with status `failed` (resumable), the full reason and the fix.
`empty_run_message` names the cause when a run ends with no text at all: such a run never counts as finished.
`short_message` says why a finished run lost more than `[limits] max_error_share` of its text slots to model
errors (the pipeline then ends it with status `short`, exit 4; `--resume` re-attempts those slots).

Input: the run's events and finished persona rows (the same the run folder gets). Output: calls to `stop`.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from personagen.agents.context import Limits
from personagen.agents.critics.registry import registered_critics
from personagen.agents.events import Event, LlmCallEvent
from personagen.personas.models import blocking_verdicts

DOCTOR = "run `personagen doctor` (with the same --base-url/--model/--config) to see which structured-output mode works"
FILTERED = ("the server refuses prompts or answers about their content (emotion prompts trip content filters): use "
            "a deployment whose content filter allows them (Azure: a custom content filter configuration) or "
            "another model")
ANSWER_HINTS = {
    "no_tool_call": "the server ignores the forced tool choice and answers in prose: " + DOCTOR
                    + ', or set structured_output = "json_schema" in [models.default]',
    "truncated": "answers are cut off at the output cap: raise max_tokens in [models.default] or [models.<agent>] "
                 "(reasoning models count their reasoning tokens in it)",
    "invalid": "the model's answers do not fit the schema: " + DOCTOR + ", or use a model that follows instructions",
    "no_json": "the model's answers hold no JSON: " + DOCTOR + ", or use a model that follows instructions",
    "content_filter": FILTERED,
    "invalid_prompt": FILTERED,
    "moderation": FILTERED,
    "context_length": "the prompts do not fit the model's context window: use a model with a larger context (or "
                      "start the server with a larger one, e.g. llama-server --ctx-size), or lower --texts-per-emotion",
    "tool_use_failed": "the server cannot read the model's tool calls: " + DOCTOR
                       + ', or set structured_output = "json_schema" in [models.default]',
    "provider_error": "the provider keeps failing while the model answers: try another provider or model, or later",
}
PARSE_KINDS = ("no_tool_call", "truncated", "invalid", "no_json")
# The next step after a stop, by the kind of the failed answers: "resume" when the fix keeps the run's settings (the
# provider recovers later), "either" when one fix does (another deployment: --base-url; a server started with a
# larger context) and another changes a setting that shapes the dataset (another model), "new" when every fix does
# (max_tokens, structured output, the model): a resume keeps those settings (personagen/runformat/signature.py)
NEXT_STEP = {"provider_error": "resume", "content_filter": "either", "invalid_prompt": "either",
             "moderation": "either", "context_length": "either"}
PARSE = "parse"  # the pseudo-critic of a stage whose model answer did not parse (agents/critics/stage.py)


def next_step(run_id: str, how: str) -> str:
    """What a stopped run's message ends with (`how`: resume, new or either; NEXT_STEP)."""
    resume = f"continue with: personagen run --resume {run_id}"
    if how == "resume":
        return resume
    if how == "either":
        return (f"{resume} if the fix keeps the run's settings, else start a new run (a resume refuses a changed "
                "setting that shapes the dataset: docs/scaling.md)")
    return ("then start a new run (a resume keeps the settings that shape the dataset, and this fix changes one: "
            "docs/scaling.md)")


def critic_hint(critic: str, answer_kind: str | None = None) -> str:
    """The fix for personas failing at `critic`; for unparseable answers, the fix of their most common kind."""
    if critic == PARSE:
        return ANSWER_HINTS.get(answer_kind or "invalid", ANSWER_HINTS["invalid"])
    spec = registered_critics().get(critic)
    judge = (f"judge with a larger model ([models.{critic}] model = ...; `[critics] controls = [\"{critic}\"]` "
             "checks a model on obvious cases before a run), or " if spec is not None and spec.kind == "llm" else "")
    return (f"if the critic is too strict for this model, {judge}make it advisory ([critics] advisory = "
            f"[\"{critic}\"]) or disable it (--no-critic {critic}); `personagen inspect RUN --rejected` shows what it "
            "rejected")


def where(stage: str, critic: str) -> str:
    return f"stage {stage} ({'no usable model answer' if critic == PARSE else 'critic ' + critic})"


def blocking_critics(verdicts: list[dict[str, Any]]) -> list[str]:
    """The critics that blocked a candidate; PARSE for a failed model call (also a critic's own: FailedCall)."""
    return [PARSE if v.error_kind else v.critic for v in blocking_verdicts(verdicts)]


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


def counted(counter: Counter[Any], name: Callable[[Any], str] = str) -> str:
    return ", ".join(f"{n} {name(k)}" for k, n in counter.most_common())


class EarlyStop:
    """Watches a run's answers and personas on rolling windows; calls `stop(message)` once when the run cannot
    succeed."""

    def __init__(self, limits: Limits, planned: int, stop: Callable[[str], None]) -> None:
        self.limits, self.stop = limits, stop
        self.window = min(limits.early_stop_personas, planned)
        self.answers: deque[tuple[str, str] | None] = deque(maxlen=max(1, limits.early_stop_answers))
        self.error_kinds: Counter[str] = Counter()  # error kinds of all answers
        self.answered = 0
        # (stage, critic) and the emotions of the lost texts of each persona that yielded none; None when it did
        self.personas: deque[tuple[tuple[str, str], Counter[str]] | None] = deque(maxlen=max(1, self.window))
        self.finished = 0
        self.failures: Counter[tuple[str, str]] = Counter()  # of all finished personas
        self.stopped = False
        self.next_step = "resume"  # once it stopped the run: how to go on after the fix (NEXT_STEP)

    def event(self, e: Event) -> None:
        if not isinstance(e, LlmCallEvent):
            return
        data = e.data
        failed = None
        if data.error is not None:
            failed = (data.error_kind or "invalid", data.error)
            self.error_kinds[failed[0]] += 1
        self.answered += 1
        self.answers.append(failed)
        size = self.limits.early_stop_answers
        if size and len(self.answers) == size and all(self.answers):
            self._stop(self.answers_message(), NEXT_STEP.get(self.window_kinds().most_common(1)[0][0], "new"))

    def window_kinds(self) -> Counter[str]:
        """The kinds of the failed answers in the window (`answers`)."""
        return Counter(kind for kind, _ in self.answers)  # type: ignore[misc]

    def answers_message(self) -> str:
        kinds = self.window_kinds()
        kind = kinds.most_common(1)[0][0]
        which = "first" if self.answered == len(self.answers) else "last"
        how = " to parse" if set(kinds) <= set(PARSE_KINDS) else ""
        return (f"the {which} {len(self.answers)} model answers all failed{how} ({counted(kinds)}; first: "
                f"{self.answers[0][1]}). Fix: {ANSWER_HINTS.get(kind, ANSWER_HINTS['invalid'])}")  # type: ignore[index]

    def persona(self, row: dict[str, Any]) -> None:
        self.finished += 1
        failure = failure_of(row)
        if failure is not None:
            self.failures[failure] += 1
        if not self.window:
            return
        lost = Counter(t["emotion"] for t in row.get("dropped_texts") or []) if failure else Counter()
        self.personas.append((failure, lost) if failure else None)
        failed = [f for f in self.personas if f is not None]
        if len(failed) > self.limits.early_stop_share * self.window:
            causes = Counter(cause for cause, _ in failed)
            emotions = sum((lost for _, lost in failed), Counter())
            (_, critic), _ = causes.most_common(1)[0]
            which = "first" if self.finished <= self.window else "last"
            lost_texts = ", ".join(f"{e} {n}" for e, n in emotions.most_common())
            self._stop(f"{len(failed)} of the {which} {len(self.personas)} personas yielded no text: "
                       f"{counted(causes, lambda f: 'at ' + where(*f))}"
                       f"{'; texts lost by emotion: ' + lost_texts if lost_texts else ''}. Fix: {self.hint(critic)}",
                       NEXT_STEP.get(self.main_kind() or "", "new") if critic == PARSE else "either")

    def hint(self, critic: str) -> str:
        return critic_hint(critic, self.main_kind())

    def main_kind(self) -> str | None:
        """The most common kind of the run's failed answers (None: none failed)."""
        return self.error_kinds.most_common(1)[0][0] if self.error_kinds else None

    def empty_run_message(self) -> str:
        """Why a finished run holds no text, and the fix."""
        if not self.failures:
            return "no text was accepted (no persona finished)"
        (stage, critic), count = self.failures.most_common(1)[0]
        return (f"no text was accepted: {count} of {self.finished} personas failed at {where(stage, critic)}. "
                f"Fix: {self.hint(critic)}")

    def short_message(self, lost: int, slots: int, kinds: Counter[str]) -> str:
        """Why a finished run is short: the text slots it lost to model errors, the failed answers by kind
        (`kinds`, the whole run's), and the fix."""
        kind = kinds.most_common(1)[0][0] if kinds else "invalid"
        return (f"{lost} of {slots} text slots ({lost / slots:.0%}) were lost to model errors, more than "
                f"[limits] max_error_share = {self.limits.max_error_share:g} (failed model answers: "
                f"{counted(kinds) or 'none recorded'}). Fix: {ANSWER_HINTS.get(kind, ANSWER_HINTS['invalid'])}; "
                f"a resume re-attempts the lost slots")

    def _stop(self, message: str, next_step: str) -> None:
        if not self.stopped:
            self.stopped, self.next_step = True, next_step
            self.stop(message)
