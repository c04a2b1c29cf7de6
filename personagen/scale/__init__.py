"""Running one dataset as shards on a distributed engine: `personagen run --ray` (docs/scaling.md).

- options.py: `--ray`, `--ray-address`, `--ray-shards` over the config file's [scale], checked before anything runs;
- driver.py: `execute_ray`, the Ray counterpart of `execute`: connect, make the shards, merge them at the end;
- shards.py: one Ray task per shard (the persona indices of `--shard I/N`), a shard whose worker died resumed,
  Ctrl-C turned into cancelled tasks that leave every shard resumable;
- task.py: what runs in a Ray worker: the ordinary pipeline (`execute`) on one shard run folder;
- progress.py: one live progress for the whole dataset, read from the shards' run folders;
- layout.py: where the shard folders and the driver's manifest (`ray.json`, for `--resume`) live.

Nothing here imports Ray at module level: Ray is an optional extra (`pip install 'personagen[ray]'`).
"""
