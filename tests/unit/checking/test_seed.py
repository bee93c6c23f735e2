"""The seed file config/sources.yaml: the real one loads, broken ones are refused with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checking.errors import LoadError
from bot.checking.seed import load_seed_specs, load_source_seed
from bot.checking.sources import SourceKind, SourceRegistry

SEED = Path(__file__).parents[3] / "config" / "sources.yaml"


def test_when_real_seed_file_is_loaded_then_the_circular_sources_are_confirmed() -> None:
    entries = load_source_seed(SEED)
    by_key = {(e.kind, e.value): e for e in entries}
    # SE Sekda DKI 79/SE/2019 point 3.a names these, so they are not mere seeds.
    for key in [
        (SourceKind.DOMAIN, "jakarta.go.id"),
        (SourceKind.EMAIL_DOMAIN, "jakarta.go.id"),
        (SourceKind.EMAIL_DOMAIN, "sanapati.net"),
    ]:
        assert by_key[key].seed is False
    assert by_key[(SourceKind.DOMAIN, "go.id")].seed is True
    assert by_key[(SourceKind.SOCIAL_ACCOUNT, "instagram:dkijakarta")].seed is True
    assert not any(e.kind == SourceKind.TELEGRAM_CHANNEL for e in entries)  # no invented ids


def test_when_real_seed_file_is_loaded_then_a_registry_can_be_built_from_it() -> None:
    registry = SourceRegistry(load_source_seed(SEED))
    assert len(registry) == len(load_source_seed(SEED))
    assert registry.official_domain("bkd.jakarta.go.id") is not None


GOOD_ENTRY = """
  - kind: domain
    value: jakarta.go.id
    name: Portal
    owner_unit: Diskominfotik
    evidence: {url: https://jakarta.go.id, checked_on: 2025-01-10}
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_when_entry_has_url_evidence_then_it_is_confirmed_and_normalized(tmp_path: Path) -> None:
    body = "version: 1\nsources:" + GOOD_ENTRY.replace("jakarta.go.id\n", "JAKARTA.go.id.\n")
    entries = load_source_seed(_write(tmp_path, body))
    assert [(e.value, e.seed, e.owner_unit) for e in entries] == [
        ("jakarta.go.id", False, "Diskominfotik")
    ]


def test_when_specs_are_loaded_then_each_keeps_its_evidence(tmp_path: Path) -> None:
    body = (
        "version: 1\nsources:"
        + GOOD_ENTRY
        + """
  - kind: email_domain
    value: sanapati.net
    name: Sanapati
    evidence: {document: SE Sekda DKI 79/SE/2019, point: 3.a}
"""
    )
    url_spec, document_spec = load_seed_specs(_write(tmp_path, body))
    assert (url_spec.evidence_url, str(url_spec.checked_on)) == (
        "https://jakarta.go.id",
        "2025-01-10",
    )
    assert url_spec.evidence_document is None and not url_spec.is_seed
    assert document_spec.evidence_document == "SE Sekda DKI 79/SE/2019 angka 3.a"
    assert document_spec.evidence_url is None and not document_spec.is_seed


def test_when_channel_id_is_a_yaml_number_then_it_is_accepted(tmp_path: Path) -> None:
    body = """version: 1
sources:
  - kind: telegram_channel
    value: -1001234567890
    name: Kanal
    evidence: {seed: to be confirmed}
"""
    [entry] = load_source_seed(_write(tmp_path, body))
    assert (entry.value, entry.seed, entry.owner_unit) == ("-1001234567890", True, None)


@pytest.mark.parametrize(
    ("body", "where", "problem"),
    [
        # an unknown key (typo of owner_unit)
        (
            "version: 1\nsources:\n  - {kind: domain, value: jakarta.go.id, name: P,"
            " owner: X, evidence: {seed: to be confirmed}}\n",
            "sources[0] domain jakarta.go.id",
            "owner: Extra inputs are not permitted",
        ),
        # a username where a chat id belongs
        (
            "version: 1\nsources:\n  - {kind: telegram_channel, value: '@dkijakarta', name: K,"
            " evidence: {seed: to be confirmed}}\n",
            "sources[0] telegram_channel @dkijakarta",
            "numeric chat ids only",
        ),
        # an unknown kind
        (
            "version: 1\nsources:\n  - {kind: website, value: jakarta.go.id, name: P,"
            " evidence: {seed: to be confirmed}}\n",
            "sources[0] website jakarta.go.id",
            "kind:",
        ),
        # no evidence at all
        (
            "version: 1\nsources:\n  - {kind: domain, value: jakarta.go.id, name: P}\n",
            "sources[0] domain jakarta.go.id",
            "evidence: Field required",
        ),
        # a url without the date it was checked
        (
            "version: 1\nsources:\n  - {kind: domain, value: jakarta.go.id, name: P,"
            " evidence: {url: 'https://jakarta.go.id'}}\n",
            "sources[0] domain jakarta.go.id",
            "url + checked_on: both are needed",
        ),
        # both a url and the seed marker
        (
            "version: 1\nsources:\n  - {kind: domain, value: jakarta.go.id, name: P, evidence:"
            " {url: 'https://jakarta.go.id', checked_on: 2025-01-10, seed: to be confirmed}}\n",
            "sources[0] domain jakarta.go.id",
            "exactly one of",
        ),
        # a seed marker spelled differently
        (
            "version: 1\nsources:\n  - {kind: domain, value: jakarta.go.id, name: P,"
            " evidence: {seed: 'yes'}}\n",
            "sources[0] domain jakarta.go.id",
            "evidence.seed",
        ),
        # a domain without a known public suffix
        (
            "version: 1\nsources:\n  - {kind: domain, value: portal.local, name: P,"
            " evidence: {seed: to be confirmed}}\n",
            "sources[0] domain portal.local",
            "public suffix",
        ),
        # an empty name
        (
            "version: 1\nsources:\n  - {kind: domain, value: jakarta.go.id, name: '',"
            " evidence: {seed: to be confirmed}}\n",
            "sources[0] domain jakarta.go.id",
            "name:",
        ),
        # the same source twice (after normalization)
        (
            "version: 1\nsources:"
            + GOOD_ENTRY
            + GOOD_ENTRY.replace("jakarta.go.id\n", "Jakarta.GO.id\n"),
            "sources[1] domain jakarta.go.id",
            "duplicate entry",
        ),
        # a wrong version
        ("version: 2\nsources: []\n", "file", "version:"),
        # sources missing
        ("version: 1\n", "file", "sources: Field required"),
    ],
)
def test_when_seed_file_is_broken_then_error_names_file_entry_and_problem(
    tmp_path: Path, body: str, where: str, problem: str
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(LoadError) as caught:
        load_source_seed(path)
    assert any(p.startswith(f"{path}:{where}: ") and problem in p for p in caught.value.problems), (
        caught.value.problems
    )


def test_when_several_entries_are_broken_then_every_problem_is_listed(tmp_path: Path) -> None:
    body = """version: 1
sources:
  - {kind: domain, value: 'not a domain', name: A, evidence: {seed: to be confirmed}}
  - {kind: sms_sender, value: X, name: B, evidence: {seed: to be confirmed}}
"""
    with pytest.raises(LoadError) as caught:
        load_source_seed(_write(tmp_path, body))
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("version: 1\nsources: [\n", "not valid YAML"),  # broken YAML
        ("- just a list\n", "expected a mapping"),  # wrong shape
    ],
)
def test_when_file_is_not_a_seed_mapping_then_error_names_the_file(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(LoadError, match=problem) as caught:
        load_source_seed(path)
    assert caught.value.problems[0].startswith(str(path))


def test_when_file_is_missing_then_error_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load_source_seed(tmp_path / "absent.yaml")
