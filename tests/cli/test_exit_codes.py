"""One error base and one exit-code table (personagen/errors.py): every error class the program raises for the
user is a PersonaGenError with its code; the CLI prints one line and exits with it; a bug is never passed off as
bad input."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from typer.testing import CliRunner

from personagen.cli import app
from personagen.errors import ExitCode, InputError, PersonaGenError, exit_code_for

# internal signals that never leave their module (caught where they are raised)
INTERNAL = {"personagen.backends.local_server._PortTaken"}
OPTIONAL = ("ray", "textual", "datasets")  # modules of optional extras that may be absent


def modules() -> list[str]:
    """Every module of the package: the shell and the mapped folders agents/, graph/, personas/."""
    names = []
    for package in ("personagen", "personagen.agents", "personagen.graph", "personagen.personas"):
        path = importlib.import_module(package).__path__
        names += [package] + [info.name for info in pkgutil.walk_packages(path, f"{package}.")]
    return sorted(set(names))


def package_exceptions() -> list[type[BaseException]]:
    found = []
    for name in modules():
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if any(name in str(exc) for name in OPTIONAL):
                continue
            raise
        found += [obj for _, obj in inspect.getmembers(module, inspect.isclass)
                  if issubclass(obj, BaseException) and obj.__module__ == module.__name__]
    return found


def test_every_error_class_of_the_package_has_the_common_base():
    classes = package_exceptions()
    assert {c.__module__.split(".")[1] for c in classes} >= {"agents", "graph", "personas", "settings"}
    strays = [f"{c.__module__}.{c.__qualname__}" for c in classes
              if not issubclass(c, PersonaGenError) and f"{c.__module__}.{c.__qualname__}" not in INTERNAL]
    assert strays == []


def test_bad_input_errors_exit_2_and_stay_value_errors():
    from personagen.personas.locale import TableError
    from personagen.runformat.errors import RunStoreError
    from personagen.settings import ConfigError

    for cls in (ConfigError, TableError, RunStoreError):
        assert issubclass(cls, InputError) and issubclass(cls, ValueError) and cls("x").exit_code == 2


def test_the_status_table():
    assert [exit_code_for(s) for s in ("finished", "failed", "interrupted", "budget", "short")] == [0, 1, 1, 3, 4]
    assert exit_code_for("something new") == ExitCode.FAILED


def run_cli(tmp_path, *args):
    return CliRunner().invoke(app, ["run", "--runs-dir", str(tmp_path), "-q", *map(str, args)])


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, stub_url):
    result = run_cli(tmp_path, "-n", 1, "-e", "joy,happyness", "--base-url", stub_url, "--model", "stub")
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "happyness" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_server_exits_1(tmp_path):
    result = run_cli(tmp_path, "-n", 1, "-e", "joy", "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and "Traceback" not in result.output


def test_a_bug_is_not_reported_as_bad_config(tmp_path, stub_url, monkeypatch):
    """A plain ValueError from inside the program (a bug) keeps its traceback; it is not turned into exit 2."""
    def broken(spec):
        raise ValueError("bug: index out of step")

    monkeypatch.setattr("personagen.pipeline.resolve_emotions", broken)
    result = run_cli(tmp_path, "-n", 1, "-e", "joy", "--base-url", stub_url, "--model", "stub")
    assert result.exit_code == 1 and isinstance(result.exception, ValueError)
    assert "bug: index out of step" in str(result.exception)
