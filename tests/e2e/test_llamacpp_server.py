"""End to end over the generic `--base-url` path: a llama.cpp server the test starts itself, found by URL.

The server is the one the embedded backend starts (`python -m llama_cpp.server --chat_format gemma` on a free
loopback port with a random `--api_key`, the packaged Gemma 3 270M base model; see
personagen/backends/local_server.py), but PersonaGen is only given its URL and key (PERSONAGEN_API_KEY), never a
model name: it must pick the one model the server lists, probe the structured-output mode, record it, and either
produce texts (the LLM critics off) or, with an LLM judge it cannot satisfy enforced, fail with a message that
says what to change.

Slow (minutes on 2 cores: the run is kept tiny): `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="needs the 'local' extra"),
]

LLM_CRITICS = ["plausibility", "consistency", "emotion_fidelity"]
RUN_TIMEOUT = 1200


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from personagen.backends.local_server import LocalModelServer, check_server_installed
    from personagen.backends.model_file import LocalModelError, resolve_model_path

    try:
        check_server_installed()
        model = resolve_model_path()
    except LocalModelError as exc:
        pytest.skip(str(exc))
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with LocalModelServer(model_path=model, n_ctx=2048, log_path=log, start_timeout=300) as started:
        command = started.command()
        assert command[command.index("--chat_format") + 1] == "gemma" and "--n_ctx" in command
        yield started


def personagen_run(server, runs_dir: Path, *extra: str, personas: int = 3,
                   timeout: float = RUN_TIMEOUT) -> tuple[subprocess.CompletedProcess, dict, float]:
    """`personagen run` as a user types it against the server's URL (no --model), with its key in the env.

    `server` is anything with `base_url` and `api_key` (tests/e2e/test_real_llama_server.py reuses this)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PERSONAGEN_"))}
    env["PERSONAGEN_API_KEY"] = server.api_key
    script = Path(sys.executable).with_name("personagen")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from personagen.cli import main; main()"]
    args = ["run", "-n", str(personas), "-e", "joy", "-k", "1", "--seed", "3", "--base-url", server.base_url,
            "--runs-dir", str(runs_dir), "--run-id", "e2e", "--json", *extra]
    t0 = time.monotonic()
    done = subprocess.run([*command, *args], env=env, cwd=runs_dir.parent, capture_output=True, text=True,
                          timeout=timeout)
    elapsed = time.monotonic() - t0
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    print(f"\n$ personagen {' '.join(args)}\n-> exit {done.returncode} in {elapsed:.0f}s: "
          f"{json.dumps({k: summary.get(k) for k in ('status', 'message', 'texts', 'personas')})}")
    return done, summary, elapsed


def check_config(runs_dir: Path, server) -> dict:
    """config.json names the server's only model and records the structured-output mode the probe chose."""
    config = json.loads((runs_dir / "e2e" / "config.json").read_text(encoding="utf-8"))
    default = config["models"]["default"]
    assert default["backend"] == "openai-compatible" and default["base_url"] == server.base_url
    assert default["model"] == server.model_name and default["key_env"] == "PERSONAGEN_API_KEY"
    assert server.api_key not in json.dumps(config)
    probe = default["probe"]
    assert default["structured_output"] == probe["chosen"] and probe["chosen"] is not None
    assert probe["model"] == server.model_name and probe["results"][-1]["ok"]
    tried = " | ".join(f"{r['mode']}: {r['detail']}" for r in probe["results"])
    print(f"probe: {tried} -> {probe['chosen']}")
    return config


def test_an_enforced_judge_the_model_cannot_satisfy_fails_naming_it_and_the_fix(server, tmp_path):
    """Enforced and checked on its control cases (`[critics] controls`), `plausibility` on the 270M base model
    stops the run before it judges a persona, naming itself and the fix: it must judge 6 of 6 obvious cases right.
    One outcome: with a seed sent on every request (`[models.default] seed`) this server, which answers one request
    at a time, samples the same answers to the same prompts (tests/e2e/test_real_llama_server.py)."""
    config = tmp_path / "personagen.toml"
    config.write_text('[critics]\ncontrols = ["plausibility"]\n\n[models.default]\nseed = 1\n', encoding="utf-8")
    done, summary, _ = personagen_run(server, tmp_path / "runs", "--config", str(config), personas=1)
    assert (done.returncode, summary.get("status")) == (1, "failed"), done.stdout + done.stderr
    message = summary["message"]
    assert message.startswith("critic plausibility judged ") and "of its 6 control cases wrongly" in message, message
    assert "Fix: judge with a larger model ([models.plausibility] model = ...)" in message
    assert '[critics] advisory = ["plausibility"]' in message and summary["texts"]["accepted"] == 0
    check_config(tmp_path / "runs", server)


def test_run_with_advisory_llm_critics_off_produces_texts(server, tmp_path):
    """The 270M base model cannot satisfy the LLM critics; without them (rule critics only) it writes texts."""
    no_critics = [arg for name in LLM_CRITICS for arg in ("--no-critic", name)]
    done, summary, _ = personagen_run(server, tmp_path / "runs", *no_critics)
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary["status"] == "finished" and summary["texts"]["accepted"] > 0
    check_config(tmp_path / "runs", server)
    records = [json.loads(line) for line in (tmp_path / "runs" / "e2e" / "records.jsonl").read_text().splitlines()]
    assert len(records) == summary["texts"]["accepted"]
    assert all(r["emotion"] == "joy" and r["text"].strip() and r["model"] == server.model_name for r in records)
