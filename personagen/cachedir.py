"""The PersonaGen cache folder: one setting, `PERSONAGEN_CACHE_DIR`, for everything kept between runs.

`cache_root()` is `$PERSONAGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/personagen`, else `~/.cache/personagen`.
It holds the packaged model assembled once (at its top), the embedded server's logs (`logs/`) and the
embeddings of real corpora made by `personagen eval` (`embeddings/`).

`PERSONAGEN_CACHE`, the embedded model's former variable, still works when `PERSONAGEN_CACHE_DIR` is not set,
with a FutureWarning (shown once per process by Python's default warning filter).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

CACHE_ENV = "PERSONAGEN_CACHE_DIR"
DEPRECATED_CACHE_ENV = "PERSONAGEN_CACHE"


def cache_root() -> Path:
    """The cache folder: $PERSONAGEN_CACHE_DIR, else $XDG_CACHE_HOME/personagen, else ~/.cache/personagen."""
    chosen = os.environ.get(CACHE_ENV)
    old = os.environ.get(DEPRECATED_CACHE_ENV)
    if old:
        _warn_deprecated(ignored=bool(chosen))
    if given := chosen or old:
        return Path(given).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "personagen"
    return Path.home() / ".cache" / "personagen"


def cache_subdir(name: str) -> Path:
    """A named folder inside the cache (not created), e.g. `cache_subdir("embeddings")`."""
    return cache_root() / name


def _warn_deprecated(*, ignored: bool) -> None:
    # stacklevel=2 points every warning at one line of cache_root(): the default filter shows it once
    effect = f"it is ignored because {CACHE_ENV} is set" if ignored else f"rename it to {CACHE_ENV}"
    warnings.warn(f"{DEPRECATED_CACHE_ENV} is deprecated: {effect}", FutureWarning, stacklevel=2)
