"""Grammar by rejection for llama-cpp-python: check the sampled token, constrain the vocabulary only on a miss.

llama-cpp-python 0.3.36 puts the grammar sampler in the chain *before* top-k (``Llama._init_sampler`` in
llama_cpp/llama.py: ``sampler.add_grammar(...)`` then ``add_top_k``), so every generated token checks all
262,144 entries of Gemma's vocabulary against the grammar. Measured here: 40 tokens of a background took
2.4 s longer under a JSON grammar than without (about 60 ms per token, against about 15 ms for the forward pass).

llama.cpp's own sampler does it the other way round (common/sampling.cpp, ``common_sampler_sample``: "check if
the sampled token fits the grammar", and only if not, "resample with the grammar applied first"):

1. apply the chain (penalties, top-k, top-p, min-p, temperature, dist) to the full logits; it selects a token;
2. apply the grammar to that one token: if allowed, accept it and stop (the common case under few-shot prompts);
3. otherwise rebuild the candidates from the logits, apply the grammar and then the chain, take its token.

The result is a token the grammar allows, drawn from the chain's distribution restricted to the grammar, as
before: the output still always parses. ``install()`` replaces ``Llama._init_sampler`` so that a call with a
grammar gets a ``GrammarCheckedSampler``; calls without a grammar are untouched. It runs inside the embedded
server process (``python -m personagen.backends.llamacpp_serve``); nothing here is imported by the agents.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from personagen.backends.llamacpp_version import check_version

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class GrammarCheckedSampler:
    """A sampler chain without the grammar, plus the grammar checked on the chosen token (see the module)."""

    def __init__(self, llama_cpp: Any, chain: Any, grammar: Any, vocab: Any, n_vocab: int) -> None:
        self._lib, self.chain, self.n_vocab = llama_cpp, chain, n_vocab
        self.grammar = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
        self._data = np.zeros(n_vocab, dtype=_TOKEN_DATA)
        self._one = np.zeros(1, dtype=_TOKEN_DATA)
        self.checked = self.resampled = 0

    def _array(self, data: np.ndarray) -> Any:
        ptr = data.ctypes.data_as(ctypes.POINTER(self._lib.llama_token_data))
        return self._lib.llama_token_data_array(data=ptr, size=len(data), selected=-1, sorted=False)

    def _candidates(self, ctx: Any, idx: int) -> Any:
        logits = self._lib.llama_get_logits_ith(ctx.ctx, idx)
        self._data["id"] = np.arange(self.n_vocab, dtype=np.int32)
        self._data["logit"] = np.ctypeslib.as_array(logits, shape=(self.n_vocab,))
        self._data["p"] = 0.0
        return self._array(self._data)

    def _pick(self, cur: Any, *samplers: Any) -> int:
        for sampler in samplers:
            self._lib.llama_sampler_apply(sampler, ctypes.byref(cur))
        return int(cur.data[cur.selected].id)

    def _allowed(self, token: int) -> bool:
        self._one[0] = (token, 0.0, 0.0)
        one = self._array(self._one)
        self._lib.llama_sampler_apply(self.grammar, ctypes.byref(one))
        return bool(np.isfinite(self._one[0]["logit"]))

    def sample(self, ctx: Any, idx: int = -1) -> int:
        """The next token: the chain's choice if the grammar allows it, else a draw under the grammar."""
        self.checked += 1
        token = self._pick(self._candidates(ctx, idx), self.chain.sampler)
        if not self._allowed(token):
            self.resampled += 1
            token = self._pick(self._candidates(ctx, idx), self.grammar, self.chain.sampler)
        self._lib.llama_sampler_accept(self.grammar, token)
        self._lib.llama_sampler_accept(self.chain.sampler, token)
        return token

    def close(self) -> None:
        if self.grammar is not None:
            self._lib.llama_sampler_free(self.grammar)
            self.grammar = None
        self.chain.close()

    def __del__(self) -> None:
        self.close()


def install() -> bool:
    """Make llama-cpp-python's ``Llama`` sample grammar calls by rejection; False when llama_cpp is missing or
    the patch is in already. Raises UntestedLlamaCppError on a version it was not written for."""
    try:
        import llama_cpp
        from llama_cpp import llama as llama_module
    except ImportError:
        return False
    check_version(llama_cpp.__version__)
    if getattr(llama_module.Llama, "_grammar_checked", False):
        return False
    original = llama_module.Llama._init_sampler

    def _init_sampler(self: Any, *args: Any, grammar: Any = None, **kwargs: Any) -> Any:
        chain = original(self, *args, grammar=None, **kwargs)
        if grammar is None:
            return chain
        return GrammarCheckedSampler(llama_cpp, chain, grammar, self._model.vocab, self._n_vocab)

    llama_module.Llama._init_sampler = _init_sampler
    llama_module.Llama._grammar_checked = True
    return True
