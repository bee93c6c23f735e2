"""Fixtures shared by the checking tests: the engine as shipped, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.checking import HoaxClaim, RuleEngine, build_engine
from bot.checking.seed import load_source_seed

REPO = Path(__file__).parents[3]
DATA = REPO / "tests" / "data"


def corpus_hoaxes() -> list[HoaxClaim]:
    entries = yaml.safe_load((DATA / "hoaxes.yaml").read_text(encoding="utf-8"))
    return [
        HoaxClaim(e["id"], e["text"], e.get("clarification_url"), e.get("added_on"))
        for e in entries
    ]


@pytest.fixture(scope="session")
def shipped_engine() -> RuleEngine:
    """config/ as shipped, the seed registry plus the test channel, the corpus hoaxes."""
    sources = [
        *load_source_seed(REPO / "config" / "sources.yaml"),
        *load_source_seed(DATA / "test_sources.yaml"),
    ]
    return build_engine(REPO / "config", sources, corpus_hoaxes())
