"""The program's errors and exit codes: one base class, one table.

Every error PersonaGen raises for the user to read is a `PersonaGenError`; its class says the exit code. The
command line prints its message in one red line (no traceback) and exits with that code; the Python API lets it
propagate. Anything else that escapes is a bug and keeps its traceback.

Exit codes (README "Exit codes"; a run's code follows its summary status, `exit_code_for`):

    0  finished     the run (or command) did what was asked
    1  failed       a fatal error (an unreachable or refusing server, a broken critic), or interrupted (Ctrl-C);
                    a run stopped this way is resumable (unless its fix changes the dataset's settings)
    2  bad input    bad options, config, tables or run id: nothing was written
    3  budget       the run stopped at its token budget (resumable)
    4  short        the run finished but lost more than `[limits] max_error_share` of its text slots to model
                    errors (`--resume` re-attempts them)

This module imports nothing from the package, so every layer (personas/, agents/, graph/, personagen/) may
use it without breaking the one-way import order.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of the `personagen` command (the one table; see the module docstring)."""

    FINISHED = 0
    FAILED = 1  # failed or interrupted
    BAD_INPUT = 2  # nothing written
    BUDGET = 3
    SHORT = 4


#: a run's summary status -> the exit code of the command that ran it
STATUS_EXIT: dict[str, ExitCode] = {
    "finished": ExitCode.FINISHED,
    "failed": ExitCode.FAILED,
    "interrupted": ExitCode.FAILED,
    "crashed": ExitCode.FAILED,
    "budget": ExitCode.BUDGET,
    "short": ExitCode.SHORT,
}


def exit_code_for(status: str) -> ExitCode:
    """The exit code of a run that ended with `status` (an unknown status is a failure)."""
    return STATUS_EXIT.get(status, ExitCode.FAILED)


class PersonaGenError(Exception):
    """Base of every error written for the user; `exit_code` is what the command line exits with."""

    exit_code: ExitCode = ExitCode.FAILED
    #: whether `personagen run --resume` can get past it; False when the fix changes a setting that shapes the
    #: dataset (a resume keeps those: personagen/runformat/signature.py), so the fix needs a new run
    resumable: bool = True


class InputError(PersonaGenError, ValueError):
    """Bad input (options, config, tables, vocabularies, a run id): raised before anything is written.

    A ValueError too, so callers that catch ValueError for bad input keep working."""

    exit_code = ExitCode.BAD_INPUT


class RunFailure(PersonaGenError):
    """Something the run or command needs failed (a server, the embedded model, a critic): exit code 1."""

    exit_code = ExitCode.FAILED


class BudgetReached(PersonaGenError):
    """The token budget or cost cap would be passed: exit code 3."""

    exit_code = ExitCode.BUDGET


class RunIncomplete(PersonaGenError):
    """A run ended without finishing: `status` (failed, interrupted, budget, short) sets the exit code."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    @property
    def exit_code(self) -> ExitCode:  # type: ignore[override]
        return exit_code_for(self.status)
