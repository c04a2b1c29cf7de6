"""docs/servers.md says what the probe chooses on each server: its table matches the server-matrix test, which runs
`personagen run` against the stub personality of every server (tests/cli/test_server_matrix.py)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_server_matrix import MATRIX

DOC = Path(__file__).resolve().parents[2] / "docs" / "servers.md"
#: the doc's server names -> the stub personality that follows that server's documented behaviour
SERVERS = {"OpenAI": "openai", "Azure OpenAI": "azure", "vLLM": "vllm",
           "vLLM, thinking model (Qwen3)": "vllm-reasoning", "SGLang": "sglang", "Hugging Face TGI": "tgi",
           "Ollama": "ollama", "llama.cpp llama-server": "llamacpp-jinja",
           "LM Studio": "lmstudio", "Google Gemini (OpenAI endpoint)": "gemini", "OpenRouter": "openrouter",
           "Groq": "groq", "DeepSeek": "deepseek", "Together": "together", "Mistral": "mistral"}


def table_rows() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] not in ("server", "---"):
            rows[cells[0]] = cells[1]
    return rows


def test_the_servers_table_says_what_the_probe_chooses():
    rows = table_rows()
    assert set(rows) == set(SERVERS)
    for server, mode in rows.items():
        assert MATRIX[SERVERS[server]][1] == mode, server


def test_every_personality_of_the_matrix_is_in_the_doc():
    assert set(MATRIX) - set(SERVERS.values()) <= {"generic", "llamacpp-server"}  # the stub itself; jinja's twin
