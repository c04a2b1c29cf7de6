"""Benchmarks: the OpenAI-compatible stub model server and the peer-comparison harness."""
