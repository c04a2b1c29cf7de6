"""The `personagen` command: a thin Typer app; each command lives in personagen/commands/."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(help="PersonaGen: emotion-labelled text from layered virtual personas.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)

COMMAND_MODULES = ["run", "merge", "curate", "export", "inspect", "evaluate", "browse", "doctor", "label"]


def register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"personagen.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"personagen.commands.{name}":
                raise
            continue
        module.register(app)


register_all()


def main() -> None:
    app()
