"""A clock the test moves by hand, shared by every repository under test."""

from __future__ import annotations

from datetime import datetime, timedelta


class MovableClock:
    """Repositories take `clock=`; tests pass one of these and move time explicitly."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
