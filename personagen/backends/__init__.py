"""LLM backends: OpenAI-compatible chat models, and the embedded llama.cpp server (local_server, llamacpp)."""
