"""Tests for the benchmark stub server and harness (loopback only)."""
