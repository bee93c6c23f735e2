"""Saring: checks messages before DKI Jakarta civil servants share them."""
