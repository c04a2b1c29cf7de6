"""`personagen run` as a library call: validate everything, open the models, write the run folder, run the graph.

Nothing is written before the settings, emotions, locale, vocabularies, critics and models have been checked;
from then on the run folder is always consistent (whole lines, a summary with the final status).
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import personagen
from agents.context import AgentContext, Limits
from agents.critics.registry import CriticError, select_critics
from graph.build import build_graph
from graph.runner import RunAborted, RunPlan, run_personas, stage_list
from personagen.backends.model_set import ModelSet
from personagen.runstore import RunStore, new_run_id
from personagen.settings import ConfigError, Settings
from personagen.summary import RunTally
from personas.emotions import resolve_emotions
from personas.locale import TableError, load_locale
from personas.vocab import load_vocab

STAGE_AGENTS = {"base": ["critic:plausibility"], "socio": ["socio_enricher", "critic:consistency"],
                "scenario": ["scenario_designer"]}


class Observer(Protocol):
    """Who watches a run (the terminal trace, a test): told of notes, events and finished personas."""

    def note(self, text: str) -> None: ...
    def event(self, event: dict[str, Any]) -> None: ...
    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None: ...


class SilentObserver:
    def note(self, text: str) -> None: ...
    def event(self, event: dict[str, Any]) -> None: ...
    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None: ...


@dataclass
class RunResult:
    folder: Path
    summary: dict[str, Any]


def build_context(settings: Settings, models: Any) -> AgentContext:
    """The agents' context from validated settings; domain errors become ConfigError."""
    run = settings.run
    try:
        emotions = resolve_emotions(run.emotions)
        load_locale(run.locale)
        vocab = load_vocab(settings.scenario_vocab)
        critics = select_critics(settings.critics.enable, settings.critics.disable)
    except (ValueError, CriticError) as exc:  # TableError and vocabulary errors are ValueErrors
        raise ConfigError(str(exc)) from None
    return AgentContext(models=models, emotions=emotions, texts_per_emotion=run.texts_per_emotion,
                        locale=run.locale, language=run.language, method=run.method, stages=run.stages,
                        limits=Limits(**settings.limits.model_dump()), vocab=vocab, critics=critics,
                        on_critic_error=settings.critics.on_error)


def agents_in_use(ctx: AgentContext) -> list[str]:
    names = [a for stage in stage_list(ctx) for a in STAGE_AGENTS[stage]] + ["emotion_writer"]
    return names + [f"critic:{c.name}" for c in ctx.critics if c.kind == "llm"]


def run_config(run_id: str, settings: Settings, ctx: AgentContext, models: ModelSet) -> dict[str, Any]:
    """config.json: the resolved settings, with models described by name and URL only (never keys)."""
    return {"run_id": run_id, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": personagen.__version__, **settings.run.model_dump(), "emotions": ctx.emotions,
            "emotion_spec": settings.run.emotions, "limits": settings.limits.model_dump(),
            "critics": [c.name for c in ctx.critics], "on_critic_error": ctx.on_critic_error,
            "models": models.described}


def execute(settings: Settings, runs_dir: Path, run_id: str | None = None,
            observer: Observer | None = None) -> RunResult:
    """Run the whole pipeline; returns the run folder and its summary (status finished, failed or interrupted)."""
    observer = observer or SilentObserver()
    with ExitStack() as stack:
        models = ModelSet(settings, stack, on_note=observer.note)
        ctx = build_context(settings, models)
        models.preload(agents_in_use(ctx))
        run_id = run_id or new_run_id()
        store = RunStore.create(runs_dir, run_id, run_config(run_id, settings, ctx, models))
        tally = RunTally(settings.run.personas)

        def on_event(event: dict[str, Any]) -> None:
            store.event(event)
            tally.event(event)
            observer.event(event)

        def on_done(row: dict[str, Any], records: list[dict[str, Any]]) -> None:
            store.persona_done(row, records)
            tally.persona(row, records)
            observer.persona(row, records)

        ctx.sink = on_event
        plan = RunPlan(list(range(settings.run.personas)), settings.run.seed, settings.run.concurrency)
        status, message = "finished", None
        try:
            asyncio.run(run_personas(build_graph(), ctx, plan, on_done))
        except RunAborted as exc:
            status, message = "failed", str(exc)
        except KeyboardInterrupt:
            status, message = "interrupted", "stopped by the user"
        summary = tally.summary(status, message)
        store.close(summary)
        return RunResult(store.folder, summary)
