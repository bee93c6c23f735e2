"""Saring test suite."""
