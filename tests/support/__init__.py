"""Helpers shared by tests and benchmarks: seeded generators, never outside data."""
