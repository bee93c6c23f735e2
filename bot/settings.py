"""Deployment settings from the environment, validated once at start-up.

Names are the `SARING_` variables of DESIGN.md; `config/.env.example` documents each. The
object is built once in `__main__` and passed down: there is no import-time global, so
tests construct `Settings(...)` directly (pydantic-settings:
https://docs.pydantic.dev/latest/concepts/pydantic_settings/).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_DIR = PACKAGE_DIR.parent / "config"
DEFAULT_API_URL = "https://api.telegram.org/bot"


def default_database_url() -> str:
    """An SQLite file in the user's data directory: the embedded default of a pilot."""
    data_dir = Path(platformdirs.user_data_dir("saring", appauthor=False))
    return f"sqlite+aiosqlite:///{data_dir / 'saring.sqlite3'}"


class Settings(BaseSettings):
    """Every knob a deployment may turn; all optional except the token for `saring run`."""

    model_config = SettingsConfigDict(
        env_prefix="SARING_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_url: str = Field(default_factory=default_database_url)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "127.0.0.1:8080"
    ppk_chat_id: int | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    config_dir: Path = DEFAULT_CONFIG_DIR
    retention_days: int = Field(default=180, ge=1, le=3650)
    # Key that seals case evidence at rest; derived from the bot token when not set.
    evidence_key: SecretStr | None = None
    # Where escalation policy lives is SARING_CONFIG_DIR/escalation.yaml.

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        """Accept "123,456" from the environment as well as a list."""
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return frozenset(int(p) for p in parts if p)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("config_dir")
    @classmethod
    def _config_dir_exists(cls, value: Path) -> Path:
        if not (value / "rules.yaml").is_file():
            raise ValueError(f"{value} has no rules.yaml (set SARING_CONFIG_DIR)")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value
