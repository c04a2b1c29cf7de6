"""`personagen eval` (measure one run) and `personagen compare` (key metrics of several runs side by side).

Thin commands over personagen.evaluation: input errors (EvalError) become one red line and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from personagen.commands.options import (
    DEFAULT_RUNS_DIR,
    BaseUrl,
    ConfigFile,
    Model,
    ModelPath,
    RunsDir,
    backend_values,
    clean_errors,
    fail,
    open_models,
)
from personagen.errors import ExitCode
from personagen.evaluation.key_metrics import format_value, key_rows

err_console = Console(stderr=True)

RealPath = Annotated[
    Path | None,
    typer.Option(
        "--real",
        help="Real labelled corpus: a folder with train.tsv/test.tsv, or one .tsv (text, label, id).",
    ),
]
LabelMap = Annotated[
    Path | None,
    typer.Option("--label-map", help="Map real labels onto synthetic ones: JSON object or 'src=dst' lines."),
]
JudgeModel = Annotated[str | None, typer.Option("--judge-model", help="Model name for the LLM judge.")]
JudgeSample = Annotated[int, typer.Option("--judge-sample", min=1, help="How many texts the judge scores.")]
JudgeConcurrency = Annotated[int, typer.Option("--judge-concurrency", min=1, help="Judge calls in flight.")]
NoJudge = Annotated[bool, typer.Option("--no-judge", help="Skip the LLM judge (human-likeness).")]
OutDir = Annotated[Path | None, typer.Option("--out", help="Output folder (default: RUN/eval).")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print metrics.json to stdout instead of a table.")]
EmbeddingModel = Annotated[
    Path | None,
    typer.Option(
        "--embedding-model",
        help="Folder of an ONNX sentence-embedding model (model.onnx + tokenizer.json), e.g. a multilingual one "
        "exported with optimum-cli; default: the packaged all-MiniLM-L6-v2 (English only).",
    ),
]


def judge_settings(
    config: Path | None,
    base_url: str | None,
    model: str | None,
    model_path: Path | None,
    judge_model: str | None,
) -> Any:
    """Settings whose 'judge' entry uses `judge_model` (if given) at JUDGE_TEMPERATURE (unless configured)."""
    from personagen.evaluation.human_likeness import JUDGE_TEMPERATURE
    from personagen.settings import load_settings

    settings = load_settings(config, models=backend_values(base_url, model, model_path))
    judge = settings.model_for("judge")
    update: dict[str, Any] = {}
    if judge_model:
        update["model"] = judge_model
    if judge.temperature is None:
        update["temperature"] = JUDGE_TEMPERATURE
    settings.models["judge"] = judge.model_copy(update=update)
    return settings


def print_summary(metrics: dict[str, Any], files: list[Path]) -> None:
    table = Table(title=f"evaluation of {metrics.get('run_id')}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for label, _, values in key_rows([metrics]):
        table.add_row(label, format_value(values[0]))
    Console().print(table)
    for warning in metrics.get("warnings", []):
        err_console.print(f"[yellow]note:[/] {warning}", highlight=False)
    err_console.print("wrote " + ", ".join(str(f) for f in files), highlight=False)


@clean_errors
def evaluate_command(
    run: Annotated[str, typer.Argument(help="Run id (a folder in --runs-dir) or a path to a run folder.")],
    real: RealPath = None,
    label_map: LabelMap = None,
    judge_model: JudgeModel = None,
    judge_sample: JudgeSample = 200,
    judge_concurrency: JudgeConcurrency = 8,
    no_judge: NoJudge = False,
    out: OutDir = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    base_url: BaseUrl = None,
    model: Model = None,
    config: ConfigFile = None,
    model_path: ModelPath = None,
    json_output: JsonOut = False,
    embedding_model: EmbeddingModel = None,
    max_cost: Annotated[float | None, typer.Option("--max-cost", min=0.0, help="Cost cap of the judge's calls in "
                                                    "USD: past it the judge stops (exit 3; docs/costs.md).")] = None,
) -> None:
    """Measure a run: diversity, human-likeness (LLM judge), realism, downstream use, population fidelity."""
    from personagen.cost_cap import for_judge
    from personagen.evaluation.runner import EvalOptions, evaluate, prepare

    options = EvalOptions(
        run=run,
        runs_dir=runs_dir,
        real=real,
        label_map=label_map,
        judge_sample=judge_sample,
        judge_concurrency=judge_concurrency,
        out=out,
        embedding_model=embedding_model,
    )
    progress = lambda message: err_console.print(f"[dim]eval:[/] {message}", highlight=False)  # noqa: E731
    cap = None
    # bad input (EvalError, exit 2) and an unreachable judge (BackendUnavailable, exit 1) reach clean_errors
    prepared = prepare(options)
    if no_judge:
        result = evaluate(options, None, progress=progress, prepared=prepared)
    else:
        settings = judge_settings(config, base_url, model, model_path, judge_model)
        with open_models(settings=settings) as models:
            cap = for_judge(max_cost, settings, models)
            result = evaluate(options, models.for_agent("judge"), progress=progress, prepared=prepared)
    if json_output:
        typer.echo(json.dumps(result.metrics, indent=2, ensure_ascii=False))
    else:
        print_summary(result.metrics, result.files)
    if cap and cap.reached:
        fail(f"the judge stopped at the cost cap ({cap.reached}); the metrics hold the texts it scored",
             ExitCode.BUDGET)


@clean_errors
def compare_command(
    runs: Annotated[
        list[str],
        typer.Argument(help="Runs to compare: ids, unique prefixes, run folders, eval folders or metrics.json files."),
    ],
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    json_output: JsonOut = False,
) -> None:
    """Print the key metrics of evaluated runs side by side (best value of each row in bold)."""
    from personagen.evaluation.compare import comparison

    names, rows = comparison(list(runs), runs_dir)  # EvalError: exit 2 through clean_errors
    if json_output:
        typer.echo(
            json.dumps({"runs": names, "metrics": {label: values for label, _, values, _ in rows}}, indent=2)
        )
        return
    table = Table(title="evaluation comparison")
    table.add_column("metric")
    for name in names:
        table.add_column(name, justify="right")
    for label, direction, values, best in rows:
        arrow = {"+": " ↑", "-": " ↓"}.get(direction, "")
        cells = [
            f"[bold green]{format_value(v)}[/]" if i == best else format_value(v)
            for i, v in enumerate(values)
        ]
        table.add_row(label + arrow, *cells)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("eval")(evaluate_command)
    app.command("compare")(compare_command)
