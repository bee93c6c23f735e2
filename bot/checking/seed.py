"""Load the seed list of official sources from `config/sources.yaml`.

Every entry must say how we know it is official: a page that shows it and the day somebody
checked, or an explicit "to be confirmed" that marks it as a seed until Diskominfotik confirms
it. Values are normalized here, so a typo is an error at load rather than a missed lookup.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.checking.errors import LoadError, read_yaml_mapping
from bot.checking.sources import SourceEntry, SourceKind, normalize_source_value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceSpec(_Spec):
    """How we know: `url` + `checked_on`, `document` + `point`, or `seed: "to be confirmed"`.

    `document` cites a circular that names the source itself (SE Sekda DKI 79/SE/2019 point
    3.a names jakarta.go.id and sanapati.net), which is stronger evidence than a web page.
    """

    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    checked_on: dt.date | None = None
    document: str | None = Field(default=None, min_length=3)
    point: str | None = Field(default=None, min_length=1)
    seed: Literal["to be confirmed"] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> EvidenceSpec:
        forms = {
            "url + checked_on": (self.url, self.checked_on),
            "document + point": (self.document, self.point),
            "seed": (self.seed,),
        }
        given = [name for name, values in forms.items() if any(v is not None for v in values)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of url + checked_on, document + point, or seed: 'to be confirmed'"
            )
        if any(v is None for v in forms[given[0]]):
            raise ValueError(f"{given[0]}: both are needed")
        return self


class SourceSpec(_Spec):
    kind: SourceKind
    value: str
    name: str = Field(min_length=1)
    owner_unit: str | None = Field(default=None, min_length=1)
    evidence: EvidenceSpec

    @property
    def is_seed(self) -> bool:
        return self.evidence.seed is not None

    @property
    def evidence_url(self) -> str | None:
        return self.evidence.url

    @property
    def checked_on(self) -> dt.date | None:
        return self.evidence.checked_on

    @property
    def evidence_document(self) -> str | None:
        """ "SE Sekda DKI 79/SE/2019 angka 3.a" for an entry a circular names, else None."""
        if self.evidence.document is None:
            return None
        return f"{self.evidence.document} angka {self.evidence.point}"

    @field_validator("value", mode="before")
    @classmethod
    def _chat_ids_as_text(cls, value: Any) -> Any:
        # YAML reads -1001234567890 as an int; a chat id is still a value like any other.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("value")
    @classmethod
    def _canonical(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return value if kind is None else normalize_source_value(kind, value)


class SourceSeedSpec(_Spec):
    version: Literal[1]
    sources: list[SourceSpec]


def load_source_seed(path: Path | str) -> list[SourceEntry]:
    """Read and validate the seed file into registry entries.

    Raises:
        LoadError: missing file, bad YAML, schema problems or duplicates; all are listed,
            each as "file:entry: problem".
    """
    return [
        SourceEntry(s.kind, s.value, s.name, s.owner_unit, seed=s.is_seed)
        for s in load_seed_specs(path)
    ]


def load_seed_specs(path: Path | str) -> list[SourceSpec]:
    """The validated entries with their evidence, for code that stores them (the database)."""
    path = Path(path)
    spec = _read_spec(path)
    problems: list[str] = []
    seen: set[tuple[SourceKind, str]] = set()
    for i, source in enumerate(spec.sources):
        if (source.kind, source.value) in seen:
            problems.append(f"{path}:{_label(i, source.kind, source.value)}: duplicate entry")
        seen.add((source.kind, source.value))
    if problems:
        raise LoadError(problems)
    return list(spec.sources)


def _read_spec(path: Path) -> SourceSeedSpec:
    raw = read_yaml_mapping(path, "'version' and 'sources'")
    try:
        return SourceSeedSpec.model_validate(raw)
    except ValidationError as exc:
        raise LoadError([_describe(path, raw, err) for err in exc.errors()]) from None


def _label(index: int, kind: Any, value: Any) -> str:
    if isinstance(kind, str) and isinstance(value, str | int):
        return f"sources[{index}] {kind} {value}"
    return f"sources[{index}]"


def _describe(path: Path, raw: dict[str, Any], err: Any) -> str:
    """Name the entry by index, kind and value, as an admin finds it in the file."""
    loc = list(err["loc"])
    where = "file"
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        sources = raw.get("sources") or []
        entry = sources[loc[1]] if loc[1] < len(sources) else None
        entry = entry if isinstance(entry, dict) else {}
        where = _label(loc[1], entry.get("kind"), entry.get("value"))
        loc = loc[2:]
    field = ".".join(str(part) for part in loc)
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{path}:{where}: {field + ': ' if field else ''}{message}"
