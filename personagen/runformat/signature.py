"""The signature of a run's dataset: every setting that shapes what it holds.

A resume continues a run only under the same signature, and a merge joins only shards of one signature (shard
left out): a changed setting can never silently mix two datasets in one folder. `curate` is in it (a curated run
counts and exports its texts without the near-duplicates). Left out, because they change how or how much but
not what: the counts a run may be extended by (`personas`; a `--texts` target is in), budgets and the cost cap,
concurrency, and every model key that only says how to reach or pay for the model (`FREE_MODEL_KEYS`: where,
timeouts, retries, prices, batch mode and its discount). `--estimate` pilots are extended by a resume for this reason.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from personagen.settings import Settings

FREE_RUN_KEYS = frozenset({"concurrency", "token_budget", "max_cost", "personas"})  # a resume may extend a run
FREE_MODEL_KEYS = frozenset({"base_url", "api_key_env", "concurrency", "timeout", "max_retries", "price_in_per_mtok",
                             "price_out_per_mtok", "price_cached_in_per_mtok", "batch_discount", "batch"})


def dataset_signature(settings: Settings, *, ignore: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """Everything in the settings that shapes the dataset (the free keys and `ignore` left out)."""
    run = {k: v for k, v in settings.run.model_dump().items() if k not in FREE_RUN_KEYS | ignore}
    names = set(settings.models) | {"default"}
    models = {name: {k: v for k, v in settings.model_for(name).model_dump().items()
                     if k not in FREE_MODEL_KEYS} for name in sorted(names)}
    return {"run": run, "limits": settings.limits.model_dump(), "critics": settings.critics.model_dump(),
            "models": models, "scenario_vocab": settings.scenario_vocab, "coverage": settings.coverage.model_dump()}


def differences(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    """Human-readable list of the keys where two signatures differ, with both values."""
    out = []
    for key in sorted(set(a) | set(b), key=str):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append(f"{prefix}{key}: {va!r} -> {vb!r}")
    return out
