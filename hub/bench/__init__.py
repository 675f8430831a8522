"""Benchmark commands: each measures the hub and a bare baseline in the same run."""
