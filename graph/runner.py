"""Runs many persona threads of the graph concurrently, each with its own deterministic seed.

The runner keeps at most `concurrency` threads in flight (a fixed pool of workers pulling persona indices, so
memory does not grow with N), hands every finished thread to `on_done` as a persona row plus its records, and
stops everything at the first error that is not the persona's own business (a dead server, a critic configured
to stop the run). It knows nothing of files or terminals: the application shell supplies the callbacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from agents.context import AgentContext
from graph.state import PersonaState, initial_state
from personas.sampling import persona_seed

STAGES = {"base": ["base"], "base+socio": ["base", "socio"], "full": ["base", "socio", "scenario"]}


class RunAborted(Exception):
    """The run stopped before all personas were done; the message says why."""


@dataclass(frozen=True)
class RunPlan:
    """Which persona indices to run, and how."""

    indices: list[int]
    seed: int
    concurrency: int = 8


def stage_list(ctx: AgentContext) -> list[str]:
    """The persona stages of the run: none for the baseline, else as `--stages` says."""
    return [] if ctx.method == "baseline" else STAGES[ctx.stages]


def persona_row(state: PersonaState) -> dict[str, Any]:
    """The personas.jsonl row of a finished thread (see docs/run-format.md)."""
    dump = lambda m: m.model_dump(mode="json") if m is not None else None  # noqa: E731
    return {
        "id": state["persona_id"], "index": state["index"], "seed": state["seed"], "status": state["status"],
        "base": dump(state.get("base")), "socio": dump(state.get("socio")), "scenario": dump(state.get("scenario")),
        "attempts": {k: state[f"{k}_attempts"] for k in ("base", "socio", "scenario")},
        "rejected": state["rejected"], "verdicts": state["verdicts"],
        "texts": {"accepted": len(state["texts"]), "dropped": len(state["dropped_texts"])},
        "dropped_texts": state["dropped_texts"], "drop_reason": state.get("drop_reason"),
    }


def record_rows(state: PersonaState, ctx: AgentContext) -> list[dict[str, Any]]:
    """The records.jsonl rows (the dataset) of a finished thread: one per accepted text."""
    if state["status"] != "accepted":
        return []
    base, socio, scenario = state.get("base"), state.get("socio"), state.get("scenario")
    persona = base.model_dump(mode="json", exclude={"provenance", "id", "index"}) if base else None
    model = ctx.models.for_agent("emotion_writer").name
    return [{
        "id": f"{state['persona_id']}-{t['emotion']}-{t['slot']}", "persona_id": state["persona_id"],
        "emotion": t["emotion"], "text": t["text"], "language": ctx.language, "persona": persona,
        "socio": socio.model_dump(mode="json", exclude={"provenance"}) if socio else None,
        "scenario": scenario.model_dump(mode="json") if scenario else None,
        "model": model, "attempt": t["attempt"], "method": ctx.method, "verdicts": t["verdicts"],
    } for t in state["texts"]]


def limits_by_stage(ctx: AgentContext) -> dict[str, int]:
    lim = ctx.limits
    return {"base": lim.base_attempts, "socio": lim.socio_attempts, "scenario": lim.scenario_attempts}


async def run_one(graph: Any, ctx: AgentContext, index: int, run_seed: int) -> PersonaState:
    """Run one persona thread to its end."""
    state = initial_state(index, persona_seed(run_seed, index), ctx.emotions, ctx.texts_per_emotion,
                          stage_list(ctx), limits_by_stage(ctx))
    return await graph.ainvoke(state, context=ctx, config={"recursion_limit": 200})


async def run_personas(graph: Any, ctx: AgentContext, plan: RunPlan,
                       on_done: Callable[[dict[str, Any], list[dict[str, Any]]], None]) -> None:
    """Run the planned personas with bounded concurrency; raise RunAborted on the first fatal error."""
    queue: Iterable[int] = iter(plan.indices)

    async def worker() -> None:
        for index in queue:
            final = await run_one(graph, ctx, index, plan.seed)
            on_done(persona_row(final), record_rows(final, ctx))

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(plan.concurrency, len(plan.indices))))]
    try:
        await asyncio.gather(*workers)
    except Exception as exc:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise RunAborted(str(exc)) from exc
