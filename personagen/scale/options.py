"""The command line's say on [scale]: `--ray`, `--ray-address`, `--ray-shards` over the config file's section.

Checked before anything is written: a bad value, `--ray` without Ray installed, or a resume that would change a
run's executor or shard count is one clear error (exit 2).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from pydantic import ValidationError

from personagen.settings import ConfigError, ScaleSettings, Settings, describe

INSTALL = "pip install 'personagen[ray]'"


def require_ray(scale: ScaleSettings) -> None:
    if scale.executor == "ray" and importlib.util.find_spec("ray") is None:
        raise ConfigError(f"--ray needs Ray, an optional extra: {INSTALL}")


def with_scale(settings: Settings, given: dict[str, Any]) -> Settings:
    """The settings with the [scale] values given on the command line (None: not given)."""
    values = {k: v for k, v in given.items() if v is not None}
    try:
        scale = ScaleSettings.model_validate({**settings.scale.model_dump(), **values})
    except ValidationError as exc:
        raise ConfigError(describe(exc, "scale options")) from None
    if scale.executor != "ray" and (scale.shards or values.get("address")):
        raise ConfigError("--ray-shards and [scale] shards are for Ray runs: add --ray "
                          "(or set [scale] executor = \"ray\")")
    if scale.executor == "ray" and settings.run.shard:
        raise ConfigError("--shard and --ray do not mix: the Ray executor makes the shards itself "
                          "([scale] shards, --ray-shards)")
    require_ray(scale)
    return settings.model_copy(update={"scale": scale})


def resume_scale(settings: Settings, stored: ScaleSettings, given: dict[str, Any], *, is_ray: bool) -> Settings:
    """The [scale] of a resumed run: as stored, with a new cluster address allowed; a new shard count is not."""
    if not is_ray:
        if any(v is not None for v in given.values()):
            raise ConfigError("this run was not started with --ray (or it is merged already), and a run folder "
                              "cannot be re-sharded: resume it without the --ray options")
        return settings
    if given.get("shards") not in (None, stored.shards):
        raise ConfigError(f"cannot resume a Ray run of {stored.shards} shards with --ray-shards "
                          f"{given['shards']}: leave the option out")
    scale = stored.model_copy(update={"address": given.get("address") or stored.address})
    require_ray(scale)
    return settings.model_copy(update={"scale": scale})
