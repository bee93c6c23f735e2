"""Pydantic models of `config/rules.yaml`.

Every model forbids unknown keys so a typo in an admin's edit is an error at load, never a
silently ignored setting. Models end in `Spec` so they are never confused with the engine's
own objects (see presidio's yaml_recognizer_models for the idea).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.checking.findings import Severity

RULE_IDS: tuple[str, ...] = (
    "hoax",
    "known_hoax",
    "provocation",
    "radicalism_terrorism",
    "pornography",
    "sara_hate",
    "insult_defamation",
    "gambling",
    "extortion_threat",
    "confidential",
    "unofficial_info",
    "personal_data",
    "partisanship",
    "misuse_internal_info",
    "lookalike_domain",
)

INSTRUMENTS: tuple[str, ...] = ("SE MenPANRB 137/2018", "SE Sekda DKI 79/SE/2019")

Score = Annotated[float, Field(ge=0.0, le=1.0)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClauseSpec(_Spec):
    instrument: Literal["SE MenPANRB 137/2018", "SE Sekda DKI 79/SE/2019"]
    point: str = Field(min_length=1, max_length=8)


class PhrasesSpec(_Spec):
    """Words or phrases matched whole-word on the folded text (leet, spacing, slang folded)."""

    kind: Literal["phrases"]
    name: str = "phrases"
    score: Score
    phrases: list[str] = Field(min_length=1)

    @field_validator("phrases")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        if any(not p.strip() for p in value):
            raise ValueError("empty phrase in list")
        return value


class AllOfSpec(_Spec):
    """Fires when at least one phrase of every group occurs (e.g. "transfer" + "viralkan")."""

    kind: Literal["all_of"]
    name: str = "all_of"
    score: Score
    groups: list[list[str]] = Field(min_length=2)


class PatternSpec(_Spec):
    """An RE2 regular expression; `on` picks the text view it runs on."""

    kind: Literal["pattern"]
    name: str = "pattern"
    score: Score
    regex: str = Field(min_length=1)
    on: Literal["plain", "folded", "original"] = "plain"

    @model_validator(mode="before")
    @classmethod
    def _unquoted_on(cls, data: Any) -> Any:
        """YAML 1.1 reads a bare `on:` key as the boolean True; accept what the admin meant."""
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if key is True else key): value for key, value in data.items()}
        return data


class LinkPatternSpec(_Spec):
    """An RE2 regular expression matched against the host of every link."""

    kind: Literal["link_host"]
    name: str = "link_host"
    score: Score
    regex: str = Field(min_length=1)


class PersonalDataSpec(_Spec):
    """Counts valid NIK/NIP numbers and phone numbers of people."""

    kind: Literal["personal_ids"]
    name: str = "personal_ids"
    score: Score
    min_ids: int = Field(default=2, ge=1)
    min_phones: int = Field(default=5, ge=1)


class LookalikeSpec(_Spec):
    """Fires for every link the registry reports as imitating an official domain."""

    kind: Literal["lookalike_link"]
    name: str = "lookalike_link"
    score: Score


class KnownHoaxSpec(_Spec):
    """Fires on a near-duplicate of a claim in the hoax database."""

    kind: Literal["known_hoax"]
    name: str = "known_hoax"
    score: Score


DetectorSpec = Annotated[
    PhrasesSpec
    | AllOfSpec
    | PatternSpec
    | LinkPatternSpec
    | PersonalDataSpec
    | LookalikeSpec
    | KnownHoaxSpec,
    Field(discriminator="kind"),
]


class ContextSpec(_Spec):
    """Words that turn a mention into a warning, a report or a debunk rather than the thing."""

    lowers: list[str] = Field(default_factory=list)
    factor: Score = 0.3


class RuleSpec(_Spec):
    id: str
    title: str = Field(min_length=3)
    severity: Severity
    clauses: list[ClauseSpec] = Field(min_length=1)
    threshold: Score = 0.5
    detectors: list[DetectorSpec] = Field(min_length=1)
    context: ContextSpec = Field(default_factory=ContextSpec)
    use_shared_context: bool = True
    guidance: str = Field(min_length=10)
    reason: str = Field(min_length=5, description="plain-Indonesian one-line reason shown first")

    @field_validator("id")
    @classmethod
    def _known_id(cls, value: str) -> str:
        if value not in RULE_IDS:
            raise ValueError(f"unknown rule id {value!r}; known ids: {', '.join(RULE_IDS)}")
        return value


class RuleSetSpec(_Spec):
    version: Literal[1]
    shared_context: ContextSpec = Field(default_factory=ContextSpec)
    rules: list[RuleSpec] = Field(min_length=1)
