"""The shards' vector stores carried into the run `personagen merge` makes of them.

Input: the shard run folders and the merged run's folder. Output: the merged run's vector store
(`RUN/curation-cache/`, personagen/curation/vectors.py) holding every vector the shards stored while they ran, so
the curation of the merged run (the Ray driver's, `personagen curate`, `export`) reads them instead of embedding
every text again. Without numpy (the core install) no shard can have stored vectors, and nothing is done.
"""

from __future__ import annotations

from pathlib import Path


def carry_vector_stores(shards: list[Path], merged: Path) -> int:
    """Copy the shards' stored vectors into the merged run's store; returns how many the shards held."""
    try:
        from personagen.curation.engine import CACHE_FOLDER
        from personagen.curation.vectors import copy_stores
    except ImportError:  # numpy (or a curation package) is missing: no store can have been written
        return 0
    sources = [folder / CACHE_FOLDER for folder in shards if (folder / CACHE_FOLDER).is_dir()]
    return copy_stores(sources, merged / CACHE_FOLDER) if sources else 0
