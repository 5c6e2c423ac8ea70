"""Synthetic traffic: a deterministic world of users for the demo, tests and benchmarks."""
