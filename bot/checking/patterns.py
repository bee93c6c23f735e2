"""Regular expressions supplied by admins, compiled with RE2.

Python's `re` backtracks: `(a+)+$` on a long run of "a" takes exponential time, so one bad
pattern in `config/rules.yaml` could hang every check. RE2 (https://github.com/google/re2/wiki/Syntax)
guarantees linear time and rejects the constructs that need backtracking (backreferences,
lookaround), which is exactly the refusal an admin should see. Many patterns are matched
in one pass with an RE2 Set, so 20,000 admin patterns cost about as much as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

from bot.checking.errors import PatternError

__all__ = ["PatternError", "PatternSet", "compile_admin_pattern"]

MAX_PATTERN_LENGTH = 20_000
_MAX_PROGRAM_MEMORY = 64 << 20

_REFUSALS: tuple[tuple[str, str], ...] = (
    ("(?=", "lookahead (?=...) is not supported"),
    ("(?!", "negative lookahead (?!...) is not supported"),
    ("(?<=", "lookbehind (?<=...) is not supported"),
    ("(?<!", "negative lookbehind (?<!...) is not supported"),
)


def _options() -> Any:
    options = re2.Options()
    # RE2 prints parse errors to stderr by default; we report them ourselves.
    options.log_errors = False
    options.max_mem = _MAX_PROGRAM_MEMORY
    return options


def _explain(regex: str, raw: str) -> str:
    for marker, message in _REFUSALS:
        if marker in regex:
            return message
    if "invalid escape sequence: \\" in raw and any(f"\\{d}" in regex for d in "123456789"):
        return "backreferences (\\1, \\2, ...) are not supported"
    return raw


def compile_admin_pattern(regex: str) -> Any:
    """Compile `regex` with RE2 or explain in one line why it is refused.

    Raises:
        PatternError: empty, too long, uses lookaround or backreferences, or does not parse.
    """
    if not regex.strip():
        raise PatternError("empty pattern")
    if len(regex) > MAX_PATTERN_LENGTH:
        raise PatternError(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(regex, _options())
    except re2.error as exc:
        raw = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(_explain(regex, raw)) from None


class PatternSet:
    """Many RE2 patterns matched in one pass; `search` returns the indexes that match.

    Each pattern is validated on its own first, so a bad one is reported by index rather
    than as a failure of the whole set.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        for index, regex in enumerate(patterns):
            try:
                compile_admin_pattern(regex)
            except PatternError as exc:
                raise PatternError(f"pattern {index}: {exc}") from None
        self._size = len(patterns)
        self._set: Any = None
        if patterns:
            self._set = re2.Set.SearchSet(_options())
            for regex in patterns:
                self._set.Add(regex)
            try:
                self._set.Compile()
            except re2.error:
                raise PatternError("patterns too large to compile together") from None

    def __len__(self) -> int:
        return self._size

    def search(self, text: str) -> list[int]:
        if self._set is None:
            return []
        return sorted(self._set.Match(text) or ())
