"""Loading the rules file: the shipped one compiles, each broken one fails precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checking import LoadError, load_rule_set
from bot.checking.normalize import Normalizer

DATA = Path(__file__).parents[2] / "data"
CONFIG = Path(__file__).parents[3] / "config"


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer()


def test_when_loading_the_shipped_rules_then_all_fifteen_compile(normalizer) -> None:
    rules = load_rule_set(CONFIG / "rules.yaml", normalizer)
    assert len(rules.rules) == 15
    assert len(rules.matcher) > 300  # curated lists, not a token gesture


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # a key the schema does not know (typo of an admin)
        ("unknown-key.yaml", ":gambling: "),
        # an id DESIGN.md does not define
        ("unknown-rule-id.yaml", "unknown rule id"),
        # RE2 refuses backreferences; the message says so in words
        ("bad-regex-backreference.yaml", "backreferences"),
        ("bad-regex-syntax.yaml", "missing )"),
        ("score-out-of-range.yaml", "less than or equal to 1"),
        ("duplicate-rule-id.yaml", "duplicate rule id"),
        ("missing-clauses.yaml", "clauses: Field required"),
        ("unknown-detector-kind.yaml", "does not match any of the expected tags"),
        ("not-yaml.yaml", "not valid YAML"),
    ],
)
def test_when_a_rules_file_is_broken_then_the_error_names_file_rule_and_problem(
    normalizer, name, expected
) -> None:
    path = DATA / "bad_rules" / name
    with pytest.raises(LoadError) as caught:
        load_rule_set(path, normalizer)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message


def test_when_a_file_is_missing_then_load_error_not_traceback(normalizer, tmp_path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load_rule_set(tmp_path / "rules.yaml", normalizer)


def test_when_several_rules_are_broken_then_every_problem_is_listed(normalizer, tmp_path) -> None:
    text = (DATA / "rules" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace(r"'\bzeus\d{2,3}\b'", "'(?=zeus)'").replace(
        r"'\bSANGAT RAHASIA\b'", "'(SANGAT'"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_rule_set(path, normalizer)
    problems = caught.value.problems
    assert any(":gambling:" in p and "lookahead" in p for p in problems)
    assert any(":confidential:" in p and "missing )" in p for p in problems)


def test_when_on_is_unquoted_yaml_then_it_still_means_the_text_view(normalizer, tmp_path) -> None:
    text = (DATA / "rules" / "minimal.yaml").read_text(encoding="utf-8").replace('"on"', "on")
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    rules = load_rule_set(path, normalizer)
    assert rules.rule("confidential") is not None
