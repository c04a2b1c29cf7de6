"""`personagen label RUN`: label a sample of a run's kept texts by hand, blind to their target, one key per text.

A thin command over personagen.labelling (which texts, in what order, where answers go) and
personagen.evaluation.label_accuracy (what the answers say). One key answers: 1-9 the run's emotions, `o` other,
`n` no clear emotion; `u` takes back the previous answer of the session; `q` (or Ctrl-C, Ctrl-D, the end of
piped input) stops, and the next session resumes there.
Keys are read one at a time from a terminal (typer.getchar), or from piped input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, clean_errors, fail
from personagen.labelling import NO_EMOTION, OTHER, UNDO, Item, LabelError, answers
from personagen.runformat.folder import RunFolder

STOP_KEYS = {"q", "Q", "", "\x03", "\x04"}
SPECIAL_KEYS = {"o": OTHER, "n": NO_EMOTION}
console = Console()


def key_map(emotions: list[str]) -> dict[str, str]:
    """Keys to answers: 1-9 for the run's emotions, o and n for "other" and "no clear emotion"."""
    choices = [c for c in answers(emotions) if c not in (OTHER, NO_EMOTION)]
    if len(choices) > 9:
        raise LabelError(f"the run has {len(choices)} emotions; a labelling session answers with one key for "
                         "each, at most 9")
    return {str(i): emotion for i, emotion in enumerate(choices, start=1)} | SPECIAL_KEYS


def read_key() -> str:
    """One key: from the terminal without Enter, else the next character of piped input ('' at its end)."""
    try:
        return typer.getchar() if sys.stdin.isatty() else sys.stdin.read(1)
    except (KeyboardInterrupt, EOFError):
        return ""


def make_ask(keys: dict[str, str]):
    legend = "  ".join(f"[bold]{k}[/] {escape(v)}" for k, v in keys.items()) + "  [bold]u[/] undo  [bold]q[/] stop"

    def ask(item: Item, number: int, total: int) -> str | None:
        console.rule(f"text {number} of {total}")
        console.print(Panel(escape(item.text), padding=(1, 2)))
        console.print(legend)
        while True:
            key = read_key()
            if key in STOP_KEYS:
                return None
            if key in ("u", "U"):
                console.print("<- undo: the previous text again (nothing to undo at the session's first)")
                return UNDO
            if key in keys:
                console.print(f"-> {escape(keys[key])}")
                return keys[key]
            if not key.isspace():
                console.print(f"[yellow]{escape(key)!r} is no answer:[/] press one of {', '.join(keys)}, u or q")

    return ask


@clean_errors
def label(
    run: Annotated[str, typer.Argument(help="Run id, unique prefix, or path.")],
    sample: Annotated[int, typer.Option("--sample", min=1, help="Kept texts to label, balanced across emotions.")] = 50,
    controls: Annotated[int, typer.Option("--controls", min=0, help="Real labelled texts mixed in as controls.")] = 0,
    controls_from: Annotated[Path | None, typer.Option(
        "--controls-from", help="Real labelled texts: a .tsv (text, label, id) or a folder with test.tsv, e.g. "
        "GoEmotions-6.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample and its order.")] = 0,
    labeller: Annotated[str, typer.Option("--labeller", help="Who labels (recorded with each answer; a session "
                                          "resumes this labeller's answers).")] = "labeller",
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Label a sample of the run's kept texts by hand, blind to their target; answers go to RUN/labels.jsonl."""
    from personagen.labelling import control_items, kept_texts, label_session, plan, run_items

    if controls and controls_from is None:
        fail("--controls N needs --controls-from DIR (real labelled texts, e.g. GoEmotions-6)", 2)
    found = RunFolder.locate(runs_dir, run)
    folder, emotions = found.path, found.config.emotions
    try:
        records, view = kept_texts(folder)
        if not records:
            raise LabelError(f"run {folder} has no kept texts to label")
        emotions = emotions or sorted({str(r["emotion"]) for r in records})
        keys = key_map(emotions)
        real = control_items(controls_from, emotions, controls, f"{seed}:{folder.name}") \
            if controls_from and controls else []
    except LabelError as exc:
        fail(str(exc), 2)
    items = plan(run_items(records, emotions, sample, seed), real, seed)
    console.print(f"[dim]{len(items)} texts ({view}); answers go to {folder / 'labels.jsonl'}[/]", highlight=False)
    answered, left = label_session(folder, items, make_ask(keys), labeller, seed)
    if not answered and not left:
        console.print(f"every text of this sample is labelled by {escape(labeller)}: a larger --sample (or another "
                      "--seed) gives more")
    else:
        console.print(f"{answered} answered now; {left} left" + (" (run the same command to go on)" if left else ""))
    # No agreement figures here: they would show the labeller the targets of the texts just read (and of the runs
    # labelled next), which the blind reading of issue 22 found; `personagen eval RUN` reports them.
    console.print(f"label accuracy: personagen eval {escape(folder.name)} (human_labels)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("label")(label)
