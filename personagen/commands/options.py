"""Options shared by every command that reads runs or calls a model, and the error boundary of the CLI."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from personagen.errors import ExitCode, InputError, PersonaGenError
from personagen.settings import ConfigError, Settings, load_settings

RunsDir = Annotated[Path, typer.Option("--runs-dir", help="Folder that holds the runs.", envvar="PERSONAGEN_RUNS_DIR")]
BaseUrl = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1")]
Model = Annotated[str | None, typer.Option("--model", help="Model name on that server (OpenAI: gpt-4o-mini).")]
ConfigFile = Annotated[Path | None, typer.Option("--config", help="TOML config file (models per agent, limits, ...).")]
ModelPath = Annotated[Path | None, typer.Option("--model-path", help="A GGUF file to serve with the embedded server.")]

DEFAULT_RUNS_DIR = Path("runs")
err_console = Console(stderr=True)


class UsageError(InputError):
    """Bad input from the user (options that do not go together): exit code 2."""


def backend_values(base_url: str | None, model: str | None, model_path: Path | None) -> dict[str, Any]:
    values: dict[str, Any] = {"base_url": base_url, "model": model}
    if model_path is not None:
        if not model_path.is_file():
            raise ConfigError(f"--model-path {model_path}: no such file")
        values.update(backend="local", model_path=str(model_path))
    return values


@contextmanager
def open_models(base_url: str | None = None, model: str | None = None, config: Path | None = None,
                model_path: Path | None = None, settings: Settings | None = None) -> Iterator[Any]:
    """The models of the given backend options (starting the embedded model when nothing is configured)."""
    from personagen.backends.model_set import ModelSet

    settings = settings or load_settings(config, models=backend_values(base_url, model, model_path))
    with ExitStack() as stack:
        yield ModelSet(settings, stack, on_note=lambda text: err_console.print(f"[yellow]note:[/] {text}"))


def fail(message: str, code: int) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def clean_errors(command: Callable) -> Callable:
    """Turn the program's own errors (PersonaGenError, personagen/errors.py) into one red line and the exit code
    of their class (2 bad input, 1 failure); anything else is a bug and keeps its traceback."""
    from personagen.backends.local_server import LocalModelError

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LocalModelError as exc:
            fail(f"embedded model: {exc}", exc.exit_code)
        except PersonaGenError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", ExitCode.FAILED)
        except BrokenPipeError:
            sys.exit(ExitCode.FAILED)

    return wrapper
