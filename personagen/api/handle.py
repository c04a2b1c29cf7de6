"""A run as a Python object: `personagen.load(RUN)` or the result of `personagen.run(...)`.

Thin wrappers over the library functions the CLI commands call: the run folder is read afresh on every access
(a run may still be writing), inspection is personagen/inspection, curation personagen/curation, export
personagen/export.py, evaluation personagen/evaluation. Data comes back as plain rows and dicts (the `--json`
output of the matching command); `show(...)` draws the command's own view (HTML in a notebook).
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from personagen.errors import RunIncomplete, exit_code_for

if TYPE_CHECKING:
    from personagen.export import ExportResult
    from personagen.runformat.folder import RunFolder

T = TypeVar("T")


class RunEnded(RunIncomplete):
    """A run stopped before it finished: `run` is its handle (resumable), `exit_code` the CLI's for it
    (personagen/errors.py)."""

    def __init__(self, run: Run) -> None:
        message = (run.summary or {}).get("message") or "no summary (the process ended without writing one)"
        super().__init__(run.status, f"run {run.status}: {message} (partial results kept in {run.folder})")
        self.run = run


def check_ended(run: Run) -> None:
    """Raise RunEnded unless the run finished (the CLI exits non-zero in the same cases)."""
    if run.status != "finished":
        raise RunEnded(run)


def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """fn(*args) here, or on a worker thread when this thread runs an event loop (fn may call asyncio.run)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    future: Future[T] = Future()

    def work() -> None:
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name="personagen-call", daemon=True).start()
    return future.result()


def load(run: str | os.PathLike[str], runs_dir: str | os.PathLike[str] | None = None) -> Run:
    """Open a run: its id, a unique prefix of one, or its folder (`runs_dir`: as `personagen run`'s)."""
    from personagen.api.making import default_runs_dir
    from personagen.runformat.folder import RunFolder

    return Run(RunFolder.locate(default_runs_dir(runs_dir), run).path)


class Run:
    """One run folder. `status` and `exit_code` follow the CLI; everything is read from the folder on access."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).absolute()  # stays right when the working directory changes

    def __repr__(self) -> str:
        return f"<personagen.Run {self.id} {self.status}: {self.folder}>"

    def _read(self) -> RunFolder:
        from personagen.runformat.folder import RunFolder

        return RunFolder(self.folder)

    @property
    def id(self) -> str:
        return self._read().id

    @property
    def status(self) -> str:
        """finished, failed, interrupted, budget, short (from summary.json), running or crashed."""
        return self._read().status

    @property
    def exit_code(self) -> int | None:
        """The exit code `personagen run` gives a run with this status (None while it runs)."""
        status = self.status
        return None if status == "running" else int(exit_code_for(status))

    @property
    def summary(self) -> dict[str, Any] | None:
        """summary.json (None until the run ends)."""
        return self._read().summary_dict

    @property
    def config(self) -> dict[str, Any]:
        return self._read().config_dict

    @property
    def records(self) -> list[dict[str, Any]]:
        """records.jsonl: every accepted text with its persona, background, scenario and verdicts."""
        return self._read().records

    @property
    def personas(self) -> list[dict[str, Any]]:
        """personas.jsonl: accepted and dropped personas, with every rejected candidate and its reasons."""
        return self._read().personas

    def rows(self, all: bool = False) -> list[dict[str, Any]]:  # noqa: A002 - the CLI's --all
        """The dataset as `personagen export` writes it: flat rows, near-duplicates left out unless `all`."""
        from personagen.export import flat, select_records

        return [flat(r) for r in select_records(self.folder, curated=not all)[0]]

    def to_pandas(self, all: bool = False) -> Any:  # noqa: A002
        """The dataset's flat rows as a pandas DataFrame (pandas comes with the `eval` extra)."""
        import pandas as pd

        return pd.DataFrame(self.rows(all=all))

    def to_dataset(self, all: bool = False) -> Any:  # noqa: A002
        """The dataset as a `datasets.Dataset`, `emotion` a ClassLabel in the run's order (as `export -f hf`)."""
        with warnings.catch_warnings():  # tqdm, imported by datasets, warns in a notebook without ipywidgets
            warnings.filterwarnings("ignore", message="IProgress not found")
            import datasets

        from personagen.hf_dataset import cell, column_types, features_dict, label_names

        rows = self.rows(all=all)
        types = column_types(rows)
        labels = label_names([str(e) for e in self.config.get("emotions") or []], rows)
        features = datasets.Features.from_dict(features_dict(types, labels))
        data = {c: [cell(r.get(c), t) if t != "class_label" else str(r.get(c)) for r in rows]
                for c, t in types.items()}
        return datasets.Dataset.from_dict(data, features=features)

    def inspect(self) -> dict[str, Any]:
        """`personagen inspect RUN --json`: funnel per stage, acceptance per critic, reasons, calls per agent."""
        from personagen.inspection.funnel import overview

        return overview(self._read()).to_json()

    def funnel(self) -> list[dict[str, Any]]:
        """Candidates per stage: sampled, accepted, resampled, dropped, pending."""
        return self.inspect()["funnel"]

    def critics(self) -> dict[str, Any]:
        """`personagen inspect RUN --critics --json`: what each critic cost and caught; acceptance by attempt."""
        from personagen.inspection.economics import economics

        return economics(self._read().events).to_json()

    def coverage(self) -> dict[str, Any]:
        """`personagen inspect RUN --coverage --json`: texts per emotion x scenario attribute and band."""
        from personagen.inspection.coverage import run_coverage

        return run_coverage(self.folder, self.id).to_json()

    def persona(self, persona: str, prompts: bool = False) -> dict[str, Any]:
        """`personagen inspect RUN --persona ID --json`: one persona's journey (id like p000003, or its index)."""
        return self._journey(persona, prompts).to_json()

    def _journey(self, persona: str, prompts: bool) -> Any:
        from personagen.inspection.events import EventFilter
        from personagen.inspection.journey import journey

        return journey(self._read(), str(persona), EventFilter(), prompts=prompts)

    def show(self, persona: str | None = None, prompts: bool = False, critics: bool = False,
             coverage: bool = False) -> None:
        """Draw what `personagen inspect RUN` shows (the overview, or --persona, --critics, --coverage)."""
        from personagen.api.display import draw
        from personagen.inspection import journey_view, render

        folder = self._read()
        if persona is not None:
            path = self._journey(persona, prompts)
            draw(lambda: journey_view.print_journey(path))
        elif critics:
            from personagen.inspection.economics import economics
            from personagen.inspection.runs_table import run_row

            draw(lambda: render.economics(economics(folder.events), run_row(folder)))
        elif coverage:
            from personagen.inspection.coverage import run_coverage

            draw(lambda: render.coverage(run_coverage(self.folder, folder.id)))
        else:
            from personagen.inspection.funnel import overview

            draw(lambda: render.overview(overview(folder)))

    def curate(self, threshold: float | None = None, jaccard: float | None = None, neighbours: int | None = None,
               semantic: bool = True, cache: bool = True,
               embedding_model: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """`personagen curate RUN`: set near-duplicates aside (curation.jsonl); returns curation.json."""
        from personagen.curation.engine import CurationOptions, curate_run

        given = {"cosine": threshold, "jaccard": jaccard, "neighbours": neighbours}
        options = CurationOptions(**{k: v for k, v in given.items() if v is not None}, semantic=semantic,
                                  cache=cache, model_dir=Path(embedding_model) if embedding_model else None)
        return curate_run(self.folder, options).summary

    def export(self, format: str = "jsonl", out: str | os.PathLike[str] | None = None,  # noqa: A002
               all: bool = False, license: str = "other") -> ExportResult:  # noqa: A002
        """`personagen export RUN`: jsonl, csv, parquet, or hf (a Hugging Face folder with a dataset card)."""
        from personagen.export import export_run

        target = Path(out) if out else (self.folder / "hf" if format == "hf" else self.folder / f"dataset.{format}")
        return export_run(self.folder, format, target, curated=not all, license_id=license)

    def evaluate(self, real: str | os.PathLike[str] | None = None, no_judge: bool = False,
                 base_url: str | None = None, model: str | None = None, config: str | os.PathLike[str] | None = None,
                 judge_model: str | None = None, **options: Any) -> dict[str, Any]:
        """`personagen eval RUN`: metrics.json (also written with report.html to RUN/eval/). Other keywords:
        label_map, judge_sample, judge_concurrency, out, embedding_model (the command's options)."""
        from personagen.api.evaluation import evaluate_run

        return off_loop(evaluate_run, self.folder, real=real, no_judge=no_judge, base_url=base_url, model=model,
                        config=config, judge_model=judge_model, **options)

    def resume(self, **options: Any) -> Run:
        """Continue this stopped run (`personagen run --resume RUN`); keywords as `personagen.run`'s."""
        from personagen.api import run

        return run(resume=self, **options)

    async def aresume(self, **options: Any) -> Run:
        """`resume`, awaited (as `personagen.arun`)."""
        from personagen.api import arun

        return await arun(resume=self, **options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, str]:
        """In a notebook: the end-of-run table of `personagen run`."""
        from personagen.api.display import mimebundle
        from personagen.trace import summary_table

        summary = self.summary
        return mimebundle(summary_table(str(self.folder), summary) if summary else repr(self))
