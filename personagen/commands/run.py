"""`personagen run`: generate a dataset into a new run folder, with a live trace."""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from personagen.batch.session import cancel_batches
from personagen.commands.options import (
    DEFAULT_RUNS_DIR,
    BaseUrl,
    ConfigFile,
    Model,
    ModelPath,
    RunsDir,
    UsageError,
    backend_values,
    clean_errors,
    fail,
)
from personagen.errors import ExitCode, exit_code_for
from personagen.estimate import DEFAULT_PILOT
from personagen.estimate import estimate as estimate_run
from personagen.estimate import lines as estimate_lines
from personagen.pipeline import execute
from personagen.resume import overlay, resume_settings
from personagen.runformat.folder import RunFolder
from personagen.runformat.store import write_json
from personagen.runformat.versions import unknown_settings
from personagen.scale import layout as ray_layout
from personagen.scale.options import resume_scale, with_scale
from personagen.settings import Settings, load_settings, read_config
from personagen.trace import TerminalTrace, summary_table

Opt = typer.Option


@clean_errors
def run(
    personas: Annotated[int | None, Opt("--personas", "-n", help="How many personas (default 10).")] = None,
    texts: Annotated[int | None, Opt("--texts", help="Instead of --personas: add personas until each emotion "
                                     "has its share of N texts (kept by the critics and curation).")] = None,
    emotions: Annotated[str | None, Opt("--emotions", "-e", help="Preset (default, ekman6, plutchik8, personagen) "
                                        "or a comma list.")] = None,
    texts_per_emotion: Annotated[int | None, Opt("--texts-per-emotion", "-k",
                                                 help="Texts per emotion and persona.")] = None,
    drafts: Annotated[int | None, Opt("--drafts", help="Drafts per text slot and attempt; the critics' best is "
                                      "kept (default 3 on the embedded model, else 1).")] = None,
    locale: Annotated[str | None, Opt(help="Demographic tables: us or jp.")] = None,
    language: Annotated[str | None, Opt(help="Language of the texts: en or ja.")] = None,
    seed: Annotated[int | None, Opt(help="Run seed; each persona's seed derives from it.")] = None,
    concurrency: Annotated[int | None, Opt(help="Persona threads in flight.")] = None,
    method: Annotated[str | None, Opt(help="personagen, or baseline (emotion-only prompt, no persona).")] = None,
    stages: Annotated[str | None, Opt(help="Persona stages: base, base+socio or full.")] = None,
    critic: Annotated[list[str] | None, Opt("--critic", help="Enable only these critics (repeatable).")] = None,
    no_critic: Annotated[list[str] | None, Opt("--no-critic", help="Disable a critic (repeatable).")] = None,
    run_id: Annotated[str | None, Opt("--run-id", help="Name of the run folder (default: time + random).")] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    base_url: BaseUrl = None,
    model: Model = None,
    config: ConfigFile = None,
    model_path: ModelPath = None,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No live trace; only the result.")] = False,
    as_json: Annotated[bool, Opt("--json", help="Print the summary as JSON on stdout.")] = False,
    resume: Annotated[str | None, Opt("--resume", help="Continue this stopped run (settings from its "
                                      "config.json; backend options may be given again).")] = None,
    shard: Annotated[str | None, Opt("--shard", help="I/N: run only personas with index % N == I "
                                     "(join the shards with `personagen merge`).")] = None,
    max_tokens: Annotated[int | None, Opt("--max-tokens", help="Token budget of the whole run: stop "
                                          "(status budget, exit 3, resumable) once it is used.")] = None,
    max_cost: Annotated[float | None, Opt("--max-cost", help="Cost cap in USD: no request is sent that could take "
                                          "the run past it; stop (status budget, exit 3, resumable) instead "
                                          "(docs/costs.md).")] = None,
    estimate: Annotated[bool, Opt("--estimate", help="Run a pilot (the first --pilot personas, a real run the full "
                                  "one continues from) and print calls, tokens, cost and wall time for the whole "
                                  "run, with ranges (docs/costs.md).")] = False,
    pilot: Annotated[int | None, Opt("--pilot", min=2, help="Personas in the --estimate pilot (default 10, or the "
                                     "concurrency if larger).")] = None,
    batch: Annotated[bool, Opt("--batch", help="Send the model calls through the provider's Batch API at its batch "
                               "price (OpenAI, Azure OpenAI, Groq, Together); each step of a persona waits for "
                               "one batch, up to 24 h (docs/batch.md).")] = False,
    cancel_batches: Annotated[bool, Opt("--cancel-batches", help="With --resume: cancel the batches the run left "
                                        "running at the provider, and stop there.")] = False,
    curate: Annotated[bool | None, Opt("--curate/--no-curate", help="Curate when finished (default on).")] = None,
    ray: Annotated[bool, Opt("--ray", help="Run the personas as shards on Ray (a local Ray instance unless "
                             "--ray-address) and merge them into one run; needs personagen[ray].")] = False,
    ray_address: Annotated[str | None, Opt("--ray-address", help="An existing Ray cluster: auto, or "
                                           "ray://HOST:10001 (implies --ray).")] = None,
    ray_shards: Annotated[int | None, Opt("--ray-shards", help="Shards of a --ray run (default: one per "
                                          "CPU of the Ray cluster).")] = None,
) -> None:
    """Generate emotion-labelled texts from layered personas into runs/<run-id>/ (or continue one: --resume)."""
    run_values = {"personas": personas, "texts": texts, "emotions": emotions, "texts_per_emotion": texts_per_emotion,
                  "drafts": drafts, "locale": locale, "language": language, "seed": seed, "concurrency": concurrency,
                  "method": method, "stages": stages, "shard": shard, "token_budget": max_tokens, "curate": curate,
                  "max_cost": max_cost}
    models = {**backend_values(base_url, model, model_path), "batch": True if batch else None}
    critics = {"enable": critic or None, "disable": no_critic or None}
    scale = {"executor": "ray" if ray or ray_address else None, "address": ray_address, "shards": ray_shards}
    if resume:
        if run_id:
            raise UsageError("--resume names the run to continue: leave out --run-id")
        if home := ray_layout.find_home(runs_dir, resume):  # a Ray run not merged yet: its driver folder
            runs_dir, run_id = home.parent, home.name.removesuffix(ray_layout.SUFFIX)
            stored, unknown = ray_layout.load(home)[1], unknown_settings(ray_layout.read_manifest(home))
        else:
            run = RunFolder.locate(runs_dir, resume)  # an id, a unique prefix of one, or the run folder's path
            runs_dir, run_id = run.path.parent, run.path.name
            stored, unknown = run.settings(), run.unknown_settings()
        settings = settings_for_resume(stored, run_id, config, run_values, models, critics, unknown)
        settings = resume_scale(settings, stored.scale, scale, is_ray=home is not None)
    else:
        settings = load_settings(config, run=run_values, models=models, critics=critics)
        settings = with_scale(settings, scale)
    if cancel_batches:
        if not resume:
            raise UsageError("--cancel-batches cancels the batches of a stopped run: give it with --resume RUN")
        for line in cancel_left_batches(settings, runs_dir / (run_id or "")):
            Console().print(line, highlight=False)
        return
    if settings.scale.executor == "ray" and any(settings.model_for(n).batch for n in {"default", *settings.models}):
        raise UsageError("--batch runs in one process (or as --shard I/N runs joined by `personagen merge`), "
                         "not on --ray")
    if settings.run.texts and settings.scale.executor == "ray":
        raise UsageError("--texts runs in one process, or as --shard I/N runs joined by `personagen merge`; "
                         "size a --ray run with --personas")
    target = settings.run.personas
    if estimate:
        settings = pilot_settings(settings, pilot, bool(resume))
    console = Console(stderr=True, quiet=quiet and as_json)
    # an --estimate pilot leaves the curation to the resume that extends it to the full run
    run_fn = execute_ray if settings.scale.executor == "ray" else partial(execute, curate_at_end=not estimate)
    with TerminalTrace(console, None if settings.run.texts else settings.run.personas, trace=not quiet) as trace:
        result = run_fn(settings, runs_dir, run_id, observer=trace, resume=bool(resume))
    report(result.folder, result.summary, as_json)
    if estimate:
        show_estimate(result.folder, result.summary, target, settings.run.concurrency)


def cancel_left_batches(settings: Settings, folder: Path) -> list[str]:
    """Cancel the batches a stopped run left running (docs/batch.md); one line per batch."""
    from personagen.backends.endpoint import backend_of, resolve

    def endpoint_of(entry: str) -> tuple[str, str]:
        s = settings.model_for(entry)
        endpoint = resolve(s, backend_of(s))
        return endpoint.base_url, endpoint.api_key

    lines = cancel_batches(folder, endpoint_of)
    if not lines:
        return [f"run {folder.name} has no batch left running"]
    return [*lines, f"the answers made before the cancel are collected by: personagen run --resume {folder.name}"]


def execute_ray(*args: Any, **kwargs: Any) -> Any:
    """The Ray executor, imported only when used (it imports Ray, an optional extra)."""
    from personagen.scale.driver import execute_ray as run_on_ray

    return run_on_ray(*args, **kwargs)


def settings_for_resume(stored: Settings, run_id: str, config: Path | None, run_values: dict[str, Any],
                        models: dict[str, Any], critics: dict[str, Any],
                        unknown: AbstractSet[str] = frozenset()) -> Settings:
    """The stored settings of run `run_id` with the options given now (only those that keep the dataset; the
    [run] keys in `unknown` were not stored by the run's format and are taken as given)."""
    raw = read_config(config)
    run_values = {**raw.get("run", {}), **{k: v for k, v in run_values.items() if v is not None}}
    critics = {**raw.get("critics", {}), **{k: v for k, v in critics.items() if v is not None}}
    given = overlay(stored, run_values, models, critics, raw.get("models") if config else None)
    settings = resume_settings(stored, given, run_id, unknown)
    if "batch" in raw:  # how batch mode gathers and polls: not stored with the run, taken from the config given now
        settings = settings.model_copy(update={"batch": load_settings(config).batch})
    return settings


def pilot_settings(settings: Settings, pilot: int | None, resume: bool) -> Settings:
    """The settings of an --estimate pilot: the run cut to its first personas (curated only when a resume extends
    it to the full run: `curate` stays in its signature)."""
    if resume or settings.run.texts or settings.scale.executor == "ray" or settings.run.shard:
        raise UsageError("--estimate pilots a new run sized by --personas, in one process (no --resume, --texts, "
                         "--shard or --ray)")
    size = min(settings.run.personas, pilot or max(DEFAULT_PILOT, settings.run.concurrency))
    run = settings.run.model_copy(update={"personas": size})
    return settings.model_copy(update={"run": run})


def show_estimate(folder: Path, summary: dict[str, Any], target: int, concurrency: int) -> None:
    """Print the projection of the whole run from its pilot, keep it in RUN/estimate.json."""
    projected = estimate_run(folder, target, concurrency, summary)
    write_json(folder / "estimate.json", projected.as_dict())
    out = Console(stderr=True)
    for line in estimate_lines(projected):
        out.print(line, highlight=False)
    out.print(f"continue with: personagen run --resume {folder.name} -n {target}", highlight=False)


def report(folder: Path, summary: dict[str, Any], as_json: bool) -> None:
    """Print the summary; exit with the code of its status (personagen/errors.py: 1 failed or interrupted,
    3 budget, 4 short)."""
    if as_json:
        # records / cpu_gen_s: the keys bench/peers_bench.py reads from the last stdout line
        print(json.dumps({"run": str(folder), **summary, "records": summary["texts"]["accepted"],
                          "cpu_gen_s": summary["cpu_s"]}))
    else:
        Console().print(summary_table(str(folder), summary))
    code = exit_code_for(summary["status"])
    if code != ExitCode.FINISHED:
        fail(f"run {summary['status']}: {summary['message']} (partial results kept in {folder})", code)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
