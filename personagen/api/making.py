"""`personagen.run` / `personagen.arun`: `personagen run` as a function call, safe inside a running event loop.

The run itself (`personagen.pipeline.execute`) goes to a worker thread, which has an event loop of its own, so the
caller may already run one (a Jupyter cell does). The calling thread waits, redraws the progress display (in a
notebook, display updates must come from the cell's own thread) and takes Ctrl-C / "interrupt kernel": the run is
stopped through its RunControl (threads in flight are cancelled and run again on resume), its summary says
"interrupted", and KeyboardInterrupt is raised again. Options are checked before anything is written, with the
CLI's own functions and messages.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from personagen.api.handle import Run, check_ended

if TYPE_CHECKING:
    from personagen.pipeline import RunResult
    from personagen.settings import Settings

REFRESH_S = 0.25  # how often the waiting thread redraws the progress display
INTERRUPTED = ("interrupted", "stopped by the user")  # the status and message of a Ctrl-C in the CLI


def default_runs_dir(runs_dir: str | os.PathLike[str] | None) -> Path:
    """`runs_dir`, else $PERSONAGEN_RUNS_DIR, else ./runs (the CLI's --runs-dir)."""
    return Path(runs_dir or os.environ.get("PERSONAGEN_RUNS_DIR") or "runs")


def names(value: str | Iterable[str] | None) -> list[str] | None:
    """A repeatable option: one name or several."""
    return [value] if isinstance(value, str) else (list(value) if value is not None else None)


@dataclass
class Request:
    """A checked run request: the settings and where the run goes."""

    settings: Settings
    runs_dir: Path
    run_id: str | None
    resume: bool


def request(options: dict[str, Any]) -> Request:
    """The settings of `personagen run` with these options (the CLI's functions, so the CLI's checks and messages)."""
    from personagen.commands.options import UsageError, backend_values
    from personagen.commands.run import settings_for_resume
    from personagen.runformat.folder import RunFolder
    from personagen.settings import load_settings

    o = options
    emotions = o["emotions"] if o["emotions"] is None or isinstance(o["emotions"], str) else ",".join(o["emotions"])
    run_values = {"personas": o["personas"], "texts": o["texts"], "emotions": emotions,
                  "texts_per_emotion": o["texts_per_emotion"], "drafts": o["drafts"], "locale": o["locale"],
                  "language": o["language"],
                  "seed": o["seed"], "concurrency": o["concurrency"], "method": o["method"], "stages": o["stages"],
                  "shard": o["shard"], "token_budget": o["max_tokens"], "curate": o["curate"],
                  "max_cost": o["max_cost"]}
    model_path = Path(o["model_path"]) if o["model_path"] is not None else None
    models = {**backend_values(o["base_url"], o["model"], model_path), "batch": True if o["batch"] else None}
    critics = {"enable": names(o["critic"]), "disable": names(o["no_critic"])}
    config = Path(o["config"]) if o["config"] is not None else None
    runs_dir, run_id = default_runs_dir(o["runs_dir"]), o["run_id"]
    if o["resume"] is not None:
        if run_id:
            raise UsageError("--resume names the run to continue: leave out --run-id")
        ref = o["resume"].folder if isinstance(o["resume"], Run) else o["resume"]
        run = RunFolder.locate(runs_dir, ref)  # an id, a unique prefix of one, or the run folder's path
        runs_dir, run_id = run.path.parent, run.path.name
        settings = settings_for_resume(run.settings(), run_id, config, run_values, models, critics,
                                       run.unknown_settings())
    else:
        settings = load_settings(config, run=run_values, models=models, critics=critics)
    if settings.scale.executor == "ray":
        raise UsageError("the Ray executor runs from the command line: personagen run --ray (docs/scaling.md)")
    return Request(settings, runs_dir, run_id, o["resume"] is not None)


class StoppableControl:
    """Makes a RunControl that another thread can stop (asyncio objects belong to their loop's thread)."""

    def __init__(self) -> None:
        from personagen.graph.runner import RunControl

        outer = self

        class Control(RunControl):
            async def wait(self) -> None:
                outer.loop = asyncio.get_running_loop()
                await super().wait()

        self.loop: asyncio.AbstractEventLoop | None = None
        self.control = Control()

    def stop(self, status: str, message: str) -> None:
        """Stop the run from any thread: on its loop when it has one running, else before it starts."""
        loop = self.loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self.control.stop, status, message)
                return
            except RuntimeError:  # the loop has closed: the run is over, or between plans
                pass
        self.control.stop(status, message)


def start(req: Request, observer: Any, stopper: StoppableControl) -> Future[RunResult]:
    """The run on a worker thread; its result (or exception) arrives in the returned future."""
    from personagen.pipeline import execute

    future: Future[RunResult] = Future()

    def work() -> None:
        try:
            future.set_result(execute(req.settings, req.runs_dir, req.run_id, observer=observer,
                                      resume=req.resume, control=stopper.control))
        except BaseException as exc:  # handed to the waiting thread, which raises it
            future.set_exception(exc)

    threading.Thread(target=work, name="personagen-run", daemon=True).start()
    return future


def finish(result: RunResult, display: Any, stopped_by: type[BaseException] | None) -> Run:
    """The run's handle; a run that did not finish raises: `stopped_by` (KeyboardInterrupt, CancelledError) when
    the caller stopped it, once the run folder says interrupted, else the error of its status."""
    display.close(result.folder, result.summary)
    run = Run(result.folder)
    if stopped_by is not None:
        raise stopped_by(f"run {result.summary['status']}: {result.summary['message']}")
    check_ended(run)
    return run


def execute_waiting(req: Request, quiet: bool) -> Run:
    """Run on a worker thread while this thread redraws the display and listens for Ctrl-C."""
    from personagen.api.display import open_display

    display, stopper = open_display(req, quiet), StoppableControl()
    stopped_by: type[BaseException] | None = None
    future = start(req, display, stopper)
    try:
        while True:
            try:
                result = future.result(timeout=REFRESH_S)
                break
            except TimeoutError:
                display.refresh()
    except KeyboardInterrupt:
        stopped_by = KeyboardInterrupt
        stopper.stop(*INTERRUPTED)
        result = future.result()  # the run writes its summary (status interrupted) and returns
    except BaseException:
        display.close(None, None)
        raise
    return finish(result, display, stopped_by)


async def execute_awaiting(req: Request, quiet: bool) -> Run:
    """Run on a worker thread while this coroutine awaits it; cancelling it stops the run (status interrupted)."""
    from personagen.api.display import open_display

    display, stopper = open_display(req, quiet), StoppableControl()
    stopped_by: type[BaseException] | None = None
    wrapped = asyncio.wrap_future(start(req, display, stopper))
    try:
        while not wrapped.done():
            await asyncio.wait({wrapped}, timeout=REFRESH_S)
            display.refresh()
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        stopped_by = type(exc)
        stopper.stop(*INTERRUPTED)
        await asyncio.wait({wrapped})
    try:
        result = wrapped.result()
    except BaseException:
        display.close(None, None)
        raise
    return finish(result, display, stopped_by)
