"""Errors the checking engine raises on bad configuration.

Every message names the file, the rule (or entry) and the problem, because the people who
read them are admins editing YAML, not developers reading tracebacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LoadError(Exception):
    """A configuration file could not be loaded; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class PatternError(ValueError):
    """An admin-supplied regular expression was refused (syntax, backreference, lookaround)."""


def read_yaml_mapping(path: Path, expected: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; every failure is a LoadError naming the file.

    Args:
        path: the file.
        expected: how to describe the top-level keys, e.g. "'version' and 'rules'".
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise LoadError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(raw, dict):
        raise LoadError([f"{path}: expected a mapping with {expected}"])
    return raw
