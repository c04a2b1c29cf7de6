"""Runs many persona threads of the graph concurrently, each with its own deterministic seed.

The runner keeps at most `concurrency` threads in flight (a fixed pool of workers pulling persona indices, so
memory does not grow with N), hands every finished thread to `on_done` as a persona row plus its records, and
stops everything at the first error that is not the persona's own business (a dead server, a critic configured
to stop the run). A `RunControl` lets the shell stop the run cleanly from a callback (a token budget): workers
take no new persona and the threads in flight are cancelled (they leave nothing on disk and run again on
resume).
It knows nothing of files or terminals: the application shell supplies the callbacks.

Sharding: shard I of N takes the persona indices with index % N == I (round-robin, so shards stay balanced
even when a run is cut short); every persona's seed depends only on (run seed, index), never on the shard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from personagen.agents.context import AgentContext, Limits
from personagen.agents.critics.registry import CriticError
from personagen.agents.llm import ModelCallError
from personagen.errors import InputError, RunFailure, RunIncomplete
from personagen.graph.state import PersonaState, initial_state
from personagen.personas.models import Stage, Verdict, lost_to_error
from personagen.personas.sampling import persona_seed

RECURSION_MARGIN = 5  # 2 are needed (the START input step, the finish/drop node), 3 spare
STAGES = {"base": [Stage.BASE], "base+socio": [Stage.BASE, Stage.SOCIO],
          "full": [Stage.BASE, Stage.SOCIO, Stage.SCENARIO]}


class RunAborted(RunFailure):
    """The run stopped before all personas were done; the message says why (`resumable`: its cause's)."""

    def __init__(self, message: str, resumable: bool = True) -> None:
        super().__init__(message)
        self.resumable = resumable


class RunStopped(RunIncomplete):
    """The run was stopped on purpose (RunControl.stop): `status` and `message` say why."""


class RunControl:
    """A handle to stop a running `run_personas` from any callback on its event loop."""

    def __init__(self) -> None:
        self.reason: tuple[str, str] | None = None
        self._event: asyncio.Event | None = None

    def stop(self, status: str, message: str) -> None:
        if self.reason is None:
            self.reason = (status, message)
            if self._event is not None:
                self._event.set()

    async def wait(self) -> None:
        self._event = asyncio.Event()
        if self.reason is not None:
            self._event.set()
        await self._event.wait()


@dataclass(frozen=True)
class RunPlan:
    """Which persona indices to run (any iterable, consumed lazily), how many there are, and how; with
    `emotions_of`, the emotions each persona writes (a `--texts` round), else all of the run's."""

    indices: Iterable[int]
    seed: int
    concurrency: int = 8
    count: int | None = None
    emotions_of: Callable[[int], list[str]] | None = None

    @property
    def size(self) -> int:
        return self.count if self.count is not None else len(self.indices)  # type: ignore[arg-type]


def parse_shard(shard: str | None) -> tuple[int, int]:
    """(I, N) from "I/N" (the settings check its form); (0, 1) for no sharding. InputError when I is not below N."""
    if not shard:
        return 0, 1
    i, n = (int(x) for x in shard.split("/"))
    if not 0 <= i < n:
        raise InputError(f"shard {shard}: I must be below N (0/{n} to {n - 1}/{n})")
    return i, n


def shard_indices(personas: int, shard: str | None, done: Container[int] = ()) -> tuple[Iterator[int], int]:
    """The persona indices of a shard not yet done, lazily, and how many there are."""
    i, n = parse_shard(shard)
    todo = range(i, personas, n)
    count = len(todo) - sum(1 for d in done if d in todo) if done else len(todo)  # type: ignore[union-attr]
    return (x for x in todo if x not in done), count


def stage_list(ctx: AgentContext) -> list[Stage]:
    """The persona stages of the run: none for the baseline, else as `--stages` says."""
    return [] if ctx.method == "baseline" else STAGES[ctx.stages]


def persona_row(state: PersonaState) -> dict[str, Any]:
    """The personas.jsonl row of a finished thread (see docs/run-format.md)."""
    dump = lambda m: m.model_dump(mode="json") if m is not None else None  # noqa: E731
    return {
        "id": state["persona_id"], "index": state["index"], "seed": state["seed"], "status": state["status"],
        "base": dump(state.get("base")), "socio": dump(state.get("socio")), "scenario": dump(state.get("scenario")),
        "attempts": {stage.value: n for stage, n in state["attempts"].items()},
        "rejected": [{"stage": r.stage.value, "attempt": r.attempt, "candidate": dump(r.candidate),
                      "verdicts": verdict_rows(r.verdicts)} for r in state["rejected"]],
        "verdicts": verdict_rows(state["verdicts"]),
        "texts": {"accepted": len(state["texts"]), "dropped": len(state["dropped_texts"]),
                  "requested": len(state["slots"]), "lost_to_errors": lost_to_errors(state)},
        "dropped_texts": [{"emotion": t.emotion, "slot": t.slot, "text": t.text, "verdicts": verdict_rows(t.verdicts),
                           "cause": t.cause} for t in state["dropped_texts"]],
        "drop_reason": state.get("drop_reason"),
    }


def verdict_rows(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Verdicts as persona and record rows hold them (`error_kind` only when set)."""
    return [v.model_dump(mode="json", exclude_none=True) for v in verdicts]


def lost_to_errors(state: PersonaState) -> int:
    """Text slots of a finished thread lost to failed model calls (not to critics' judgements): every slot of a
    persona dropped because its stage's model calls failed, else its slots dropped that way."""
    if state["status"] == "dropped":
        return len(state["slots"]) if state["rejected"] and lost_to_error(state["rejected"][-1].verdicts) else 0
    return sum(1 for t in state["dropped_texts"] if t.cause == "error")


def record_rows(state: PersonaState, ctx: AgentContext) -> list[dict[str, Any]]:
    """The records.jsonl rows (the dataset) of a finished thread: one per accepted text."""
    if state["status"] != "accepted":
        return []
    base, socio, scenario = state.get("base"), state.get("socio"), state.get("scenario")
    persona = base.model_dump(mode="json", exclude={"provenance", "id", "index"}) if base else None
    model = ctx.models.for_agent("emotion_writer").name
    return [{
        "id": f"{state['persona_id']}-{t.emotion}-{t.slot}", "persona_id": state["persona_id"],
        "emotion": t.emotion, "text": t.text, "language": ctx.language, "persona": persona,
        "socio": socio.model_dump(mode="json", exclude={"provenance"}) if socio else None,
        "scenario": scenario.model_dump(mode="json") if scenario else None,
        "model": model, "attempt": t.attempt, "method": ctx.method,
        "verdicts": verdict_rows(t.verdicts),
    } for t in state["texts"]]


def limits_by_stage(ctx: AgentContext) -> dict[Stage, int]:
    lim = ctx.limits
    return {Stage.BASE: lim.base_attempts, Stage.SOCIO: lim.socio_attempts, Stage.SCENARIO: lim.scenario_attempts}


def recursion_limit(limits: Limits) -> int:
    """LangGraph's super-step bound for one persona thread, derived from the configured attempt limits.

    Every attempt of a persona stage is two super-steps (the candidate node, then its critics node); the text
    loop is two per round (writer, then expression critics), and a slot is closed after `text_attempts`
    rounds. The sum over all stages (whether or not the run uses them) plus a small margin is an upper bound,
    so a thread that exhausts every limit still ends in its own drop/finish node, never in GraphRecursionError.
    """
    attempts = limits.base_attempts + limits.socio_attempts + limits.scenario_attempts + limits.text_attempts
    return 2 * attempts + RECURSION_MARGIN


async def run_one(graph: Any, ctx: AgentContext, index: int, run_seed: int,
                  emotions: list[str] | None = None) -> PersonaState:
    """Run one persona thread to its end (writing `emotions`, by default all of the run's)."""
    state = initial_state(index, persona_seed(run_seed, index), emotions or ctx.emotions, ctx.texts_per_emotion,
                          stage_list(ctx), limits_by_stage(ctx))
    return await graph.ainvoke(state, context=ctx, config={"recursion_limit": recursion_limit(ctx.limits)})


async def run_personas(graph: Any, ctx: AgentContext, plan: RunPlan,
                       on_done: Callable[[dict[str, Any], list[dict[str, Any]]], None],
                       control: RunControl | None = None) -> None:
    """Run the planned personas with bounded concurrency.

    Raises RunAborted on the first fatal error, RunStopped when `control` stops the run.
    """
    queue: Iterator[int] = iter(plan.indices)
    control = control or RunControl()

    async def worker() -> None:
        for index in queue:
            if control.reason is not None:
                return
            emotions = plan.emotions_of(index) if plan.emotions_of else None
            final = await run_one(graph, ctx, index, plan.seed, emotions)
            on_done(persona_row(final), record_rows(final, ctx))

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(plan.concurrency, plan.size)))]
    stopper = asyncio.create_task(control.wait())
    pending, error = set(tasks), None
    try:
        while pending and error is None and control.reason is None:
            done, _ = await asyncio.wait(pending | {stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopper}:
                pending.discard(task)
                error = error or task.exception()
    finally:
        for task in (*tasks, stopper):
            task.cancel()
        await asyncio.gather(*tasks, stopper, return_exceptions=True)
    if error is not None:
        known = isinstance(error, (ModelCallError, CriticError))  # messages written for the user
        raise RunAborted(str(error) if known else f"internal error {type(error).__name__}: {error}",
                         getattr(error, "resumable", True)) from error
    if control.reason is not None:
        raise RunStopped(*control.reason)
