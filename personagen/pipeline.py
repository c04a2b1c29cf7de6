"""`personagen run` as a library call: validate everything, open the models, write the run folder, run.

Nothing is written before the settings, emotions, locale, vocabularies, critics and models have been checked;
from then on the run folder is always consistent (whole lines, a summary with the final status).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import personagen
from personagen import cost_cap
from personagen.agents.context import AgentContext
from personagen.agents.critics.controls import check_names
from personagen.agents.critics.offline_strength import NAME as STRENGTH_CRITIC
from personagen.agents.critics.registry import CriticError, CriticSpec, plugin_warnings, select_critics
from personagen.agents.drafts import EMBEDDED_DRAFTS
from personagen.agents.events import Event, LlmCallEvent, record
from personagen.backends import model_set
from personagen.backends.endpoint import backend_of
from personagen.backends.model_set import ModelSet
from personagen.batch.journal import in_flight_batches
from personagen.batch.session import left_running
from personagen.curation.hook import curate_after_run
from personagen.curation.live import start_live_embedding
from personagen.early_stop import EarlyStop, next_step
from personagen.errors import InputError
from personagen.graph.build import build_graph
from personagen.graph.runner import (
    RunAborted,
    RunControl,
    RunPlan,
    RunStopped,
    parse_shard,
    run_personas,
    shard_indices,
    stage_list,
)
from personagen.heap import pin_mmap_threshold, release_freed
from personagen.personas.emotions import resolve_emotions
from personagen.personas.locale import load_locale
from personagen.personas.scenario_slots import SlotPlan, check_weights
from personagen.personas.vocab import load_vocab
from personagen.pricing import price_call, price_lookup
from personagen.quotas import QuotaRounds
from personagen.resume import Repair, repair
from personagen.runformat.folder import RunFolder
from personagen.runformat.lines import read_json
from personagen.runformat.models import FORMAT
from personagen.runformat.store import RunStore, new_run_id
from personagen.settings import ConfigError, Settings
from personagen.summary import RunTally, replay_folder
from personagen.throttle import attach_pacers

STAGE_AGENTS = {"base": [], "socio": ["socio_enricher"], "scenario": ["scenario_designer"]}  # + enabled LLM critics


class Observer(Protocol):
    """Who watches a run (the terminal trace, a test): told of notes, events (typed: agents/events.py) and finished
    personas."""

    def note(self, text: str) -> None: ...
    def planned(self, todo: int) -> None: ...
    def event(self, event: Event) -> None: ...
    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None: ...


class SilentObserver:
    def note(self, text: str) -> None: ...
    def planned(self, todo: int) -> None: ...
    def event(self, event: Event) -> None: ...
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
        vocab = load_vocab(settings.scenario_vocab, locale=run.locale, language=run.language)
        check_weights(vocab, settings.coverage.weights)
        critics = select_critics(settings.critics.enable, settings.critics.disable)
        controls = check_names(settings.critics.controls, critics)
    except (InputError, CriticError) as exc:  # bad emotions, tables, vocabulary, weights or critic names
        raise ConfigError(str(exc)) from None
    return AgentContext(models=models, emotions=emotions, texts_per_emotion=run.texts_per_emotion,
                        locale=run.locale, language=run.language, method=run.method, stages=run.stages,
                        limits=settings.limits, vocab=vocab, critics=critics,
                        slot_plan=SlotPlan(run.seed, frozenset(settings.coverage.balance), settings.coverage.weights),
                        on_critic_error=settings.critics.on_error, feedback=settings.critics.feedback,
                        controls=controls, advisory=advisory_critics(settings, critics, models),
                        drafts=drafts_per_slot(settings, models))


def drafts_per_slot(settings: Settings, models: Any) -> int:
    """Drafts per text slot and attempt: as set, else EMBEDDED_DRAFTS when the writer is the embedded model (most
    of its drafts are flat; choosing among several costs generation time only, docs/critics.md), else 1."""
    if settings.run.drafts is not None:
        return settings.run.drafts
    return EMBEDDED_DRAFTS if writer_backend(settings, models) == "local" else 1


def writer_backend(settings: Settings, models: Any) -> str:
    """The emotion writer's backend, read from the settings (building its handle would probe its endpoint before
    the default one's: a writer with a small output cap would then fail the probe instead of its answers); a
    stand-in model set (tests) is asked for it."""
    if isinstance(models, model_set.ModelSet):  # the class itself: tests replace the name ModelSet here
        return backend_of(settings.model_for("emotion_writer"))
    return models.for_agent("emotion_writer").backend


def advisory_critics(settings: Settings, critics: list[CriticSpec], models: Any) -> frozenset[str]:
    """Critics whose verdicts are recorded but not enforced: as configured, else the LLM critics that would
    run on the embedded demo model (measured: it cannot judge plausibility or emotions, docs/local-model.md),
    and the flat-text critic `offline_strength` unless the texts come from the embedded model (its threshold
    rejects 1 in 5 real texts: a price worth paying only for a model whose texts are mostly flat, docs/critics.md)."""
    if settings.critics.advisory is not None:
        unknown = set(settings.critics.advisory) - {c.name for c in critics}
        if unknown:
            raise ConfigError(f"[critics] advisory names critics not in this run: {', '.join(sorted(unknown))}")
        return frozenset(settings.critics.advisory)
    writer_local = writer_backend(settings, models) == "local"
    return frozenset(c.name for c in critics
                     if (c.kind == "llm" and models.for_agent(f"critic:{c.name}").backend == "local")
                     or (c.name == STRENGTH_CRITIC and not writer_local))


def agents_in_use(ctx: AgentContext) -> list[str]:
    names = [a for stage in stage_list(ctx) for a in STAGE_AGENTS[stage]] + ["emotion_writer"]
    return names + [f"critic:{c.name}" for c in ctx.critics if c.kind == "llm"]


def run_config(run_id: str, settings: Settings, ctx: AgentContext, models: ModelSet) -> dict[str, Any]:
    """config.json: the resolved settings, with models described by name and URL only (never keys).

    `settings` holds the full settings (no secrets: keys live in environment variables), so a run can be
    resumed or merged from its folder alone.
    """
    return {"run_id": run_id, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": personagen.__version__, "format": FORMAT, **settings.run.model_dump(), "emotions": ctx.emotions,
            "drafts": ctx.drafts,
            "emotion_spec": settings.run.emotions, "limits": settings.limits.model_dump(),
            "critics": [c.name for c in ctx.critics], "on_critic_error": ctx.on_critic_error,
            "advisory_critics": sorted(ctx.advisory),
            "models": models.described, "settings": settings.model_dump(mode="json")}


def earlier_probes(run: RunFolder) -> float:
    """The probes' worst case that a stopped run's summary counted against its cost cap (0 without one)."""
    cap = run.summary.cost_cap if run.summary else None
    return float((cap or {}).get("probes") or 0.0)


def open_store(settings: Settings, runs_dir: Path, run_id: str | None, ctx: AgentContext, models: ModelSet,
               tally: RunTally, resume: bool) -> tuple[RunStore, Repair | None]:
    """A new run folder, or (resume) the repaired old one, with the tally caught up on what it holds."""
    if not resume:
        run_id = run_id or new_run_id()
        return RunStore.create(runs_dir, run_id, run_config(run_id, settings, ctx, models)), None
    folder = RunFolder.existing(runs_dir, run_id or "").path
    store, rep = RunStore.reopen(folder, repair)
    replay_folder(tally, folder)
    return store, rep


def execute(settings: Settings, runs_dir: Path, run_id: str | None = None, observer: Observer | None = None,
            resume: bool = False, control: RunControl | None = None, curate_at_end: bool = True,
            ledger: Any = None) -> RunResult:
    """Run the whole pipeline (or, with `resume`, the rest of run `run_id`); returns the folder and summary.
    `curate_at_end=False` leaves a `[run] curate` run's curation to the resume that extends it (an --estimate
    pilot: its stored settings stay the full run's, so that resume keeps them).

    The summary's status is finished, failed (a fatal error such as an unreachable server), interrupted
    (Ctrl-C, or `control` stopped it), budget (the token budget was reached) or short (more than
    `[limits] max_error_share` of the text slots were lost to model errors); all but finished can be resumed.
    It runs its own event loop: called where one is running already (a Jupyter cell), it raises before anything
    is written (personagen.run / arun run it on a worker thread). `ledger`: a --ray shard's share of the run's
    cost cap (personagen/scale/ledger.py).
    """
    check_no_running_loop()
    pin_mmap_threshold()  # large blocks freed during the run go back to the OS, not into a growing heap (heap.py)
    observer = observer or SilentObserver()
    if resume:
        RunFolder.existing(runs_dir, run_id or "").check_not_running()
        check_batches_collected(settings, RunFolder.existing(runs_dir, run_id or "").path)
    parse_shard(settings.run.shard)  # InputError for a shard I/N with I >= N
    with ExitStack() as stack:
        models = ModelSet(settings, stack, on_note=observer.note)
        ctx = build_context(settings, models)
        for warning in plugin_warnings():
            observer.note(warning)
        models.preload(agents_in_use(ctx))
        pacers = attach_pacers(models.handles)
        price_of = price_lookup(settings, models)
        cap = cost_cap.for_run(settings, models, agents_in_use(ctx), price_of)  # None without --max-cost
        probes = earlier_probes(RunFolder.existing(runs_dir, run_id or "")) if cap and resume else 0.0  # before reopen
        tally = RunTally(settings.run.personas, price_of)
        store, rep = open_store(settings, runs_dir, run_id, ctx, models, tally, resume)
        batch = getattr(models, "batch", None)  # batch mode (personagen/batch/); test stand-ins have none
        if batch is not None:  # what earlier processes of this run submitted (RUN/batch/)
            batch.attach(store.folder)
        curate = settings.run.curate and not settings.run.shard and curate_at_end  # shards: the merged run is
        live = start_live_embedding(store.folder, settings.run.language, settings.run.curate, observer.note,
                                    edges=not settings.run.shard)
        stack.callback(live.close)
        control = control or RunControl()
        budget = settings.run.token_budget
        plans, count, rounds = run_plans(settings, ctx, store, rep, observer, tally, batch is not None)
        watch = EarlyStop(settings.limits, count, lambda message: control.stop("failed", message))

        def on_event(event: Event) -> None:
            if isinstance(event, LlmCallEvent):
                price_call(event, price_of)
            store.event(record(event))
            tally.event(event)
            watch.event(event)
            observer.event(event)
            if budget and tally.tokens_total >= budget:
                control.stop("budget", f"token budget reached: {tally.tokens_total} of {budget} tokens used")

        def on_done(row: dict[str, Any], records: list[dict[str, Any]]) -> None:
            store.persona_done(row, records)
            live.add(records, row.get("index"))  # embedded (and neighbours found) while the run goes on
            tally.persona(row, records)
            watch.persona(row)
            observer.persona(row, records)

        ctx.sink = on_event
        if rep is not None:
            ctx.emit(None, "runner", "resume", data=rep.as_event_data())
        if cap:  # after the resume event: the tally then holds the usage of the personas a stop cut short
            cap.start(tally.spent(), probes, lambda message: control.stop("budget", message), shared=ledger)
        status, message, resumable = run_graph(ctx, plans, on_done, control)
        if cap:
            cap.release()
        if status == "finished" and settings.run.personas and tally.texts["accepted"] == 0:
            status, message = "failed", watch.empty_run_message()  # a run that produced nothing never succeeds
            resumable = False  # every persona is done: a resume has nothing to run again
        elif status == "finished" and tally.error_share > settings.limits.max_error_share:
            status, message = "short", watch.short_message(tally.lost, tally.slots, tally.error_kinds)
        if status != "finished":
            message = f"{message}; {next_step(store.folder.name, watch.next_step if resumable else 'new')}"
            if batch is not None and (running := left_running(store.folder)):
                message = f"{message}. {running}"
        quota = {"quota": rounds.book.summary(rounds.counted)} if rounds else {}
        summary = tally.summary(status, message, shard=settings.run.shard,
                                backends={name: p.report() for name, p in pacers.items()}, **quota,
                                **({"cost_cap": cap.report()} if cap else {}),
                                **({"batch": batch.report()} if batch is not None else {}))
        store.close(summary)
    if status == "finished" and curate:
        release_freed()  # the generation's freed heap back to the OS before the curation allocates (heap.py)
    if status == "finished" and curate and curate_after_run(store.folder, observer.note, live) is not None:
        written = read_json(store.folder / "summary.json") or {}  # texts.kept, counted once by the curation
        summary = {**summary, "texts": written.get("texts", summary["texts"])}  # (personagen/kept.py refresh_kept)
    return RunResult(store.folder, summary)


def check_batches_collected(settings: Settings, folder: Path) -> None:
    """A run that left batches running resumes in batch mode (it collects them), never sending their requests
    again synchronously (docs/batch.md)."""
    if any(settings.model_for(name).batch for name in {"default", *settings.models}):
        return
    if flying := in_flight_batches(folder):
        raise ConfigError(f"run {folder.name} has {len(flying)} batch(es) running at the provider: resume it with "
                          f"--batch to collect them, or cancel them first: personagen run --resume {folder.name} "
                          "--cancel-batches")


def check_no_running_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise InputError("personagen.pipeline.execute() runs its own event loop and cannot run inside a running "
                     "one (a Jupyter cell): call personagen.run(...), or await personagen.arun(...)")


YOUNG_THRESHOLD = 50_000  # allocations between young collections during a run (Python's default: 700)


@contextmanager
def run_collector() -> Iterator[None]:
    """The garbage collector as a run wants it, restored afterwards (a library caller keeps its own settings).

    What exists before the run (modules, tables, models) is frozen out of the collector's sight, so full
    collections scan only what the run allocates (measured: 134-166 ms pauses down to 6-15 ms, ~0.5 ms CPU per
    model call on long runs), and young collections run every 50,000 allocations instead of 700 (0.14
    [0.08-0.27] ms CPU per model call; docs/benchmarks.md). No full collection first: it scanned ~220,000 objects
    for ~100-160 ms of CPU (0.06-0.1 ms per call of a 64-persona run) to find ~300 unreachable ones, which now stay
    frozen until the run ends (the collector sees them again after `gc.unfreeze`)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run_plans(settings: Settings, ctx: AgentContext, store: RunStore, rep: Repair | None, observer: Observer,
              tally: RunTally, batch: bool = False) -> tuple[Iterable[RunPlan], int, QuotaRounds | None]:
    """The run's persona plans: one for `--personas`, a round at a time for `--texts`; how many personas
    the first holds (all there are, unless rounds follow), and the rounds' planner, if any. In batch mode
    `[batch] personas_in_flight` run at once (each step of theirs goes into the same batch)."""
    run, done = settings.run, (rep.done if rep else set())
    if not run.texts:
        indices, count = shard_indices(run.personas, run.shard, done)
        observer.planned(count)
        threads = max(run.concurrency, settings.batch.personas_in_flight) if batch else run.concurrency
        return [RunPlan(indices, run.seed, threads, count)], count, None
    rounds = QuotaRounds(settings, ctx.emotions, store.folder, store.write_json, done, observer.note)
    tally.requested = 0

    def planned() -> Iterator[RunPlan]:
        for plan in rounds.plans():
            tally.requested = rounds.planned
            observer.planned(rounds.planned - len(done))
            yield plan

    return planned(), settings.limits.early_stop_personas, rounds


def run_graph(ctx: AgentContext, plans: Iterable[RunPlan], on_done: Callable[..., None],
              control: RunControl) -> tuple[str, str | None, bool]:
    """Run the persona threads of each plan in turn; (status, message, resumable) of how it ended."""
    async def main() -> None:
        graph = build_graph()
        try:
            for plan in plans:
                if plan.size:
                    await run_personas(graph, ctx, plan, on_done, control)
        finally:
            if hasattr(ctx.models, "aclose"):
                await ctx.models.aclose()

    try:
        with run_collector():
            asyncio.run(main())
    except RunAborted as exc:
        return "failed", str(exc), exc.resumable
    except RunStopped as exc:
        return exc.status, exc.message, True  # the early-stop watch says itself whether its cause is resumable
    except KeyboardInterrupt:
        return "interrupted", "stopped by the user", True
    return "finished", None, True
