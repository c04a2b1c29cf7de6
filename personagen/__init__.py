"""PersonaGen: emotion-labelled text from layered virtual personas.

From Python: `personagen.run(...)` / `await personagen.arun(...)` make a dataset, `personagen.load(RUN)` opens a
run (personagen/api/, docs/python-api.md); every error written for the user is a `personagen.PersonaGenError`
(personagen/errors.py). They are imported on first use, so `import personagen` (and the CLI's start-up) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["PersonaGenError", "Run", "RunEnded", "arun", "load", "run"]

if TYPE_CHECKING:
    from personagen.api import Run, RunEnded, arun, load, run
    from personagen.errors import PersonaGenError


def __getattr__(name: str) -> Any:
    if name == "PersonaGenError":
        from personagen.errors import PersonaGenError

        return PersonaGenError
    if name in __all__:
        from personagen import api

        return getattr(api, name)
    raise AttributeError(f"module 'personagen' has no attribute {name!r}")
