"""Settings from the environment: the SARING_ names of DESIGN.md, validated with clear errors."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_API_URL, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SARING_"):
            monkeypatch.delenv(name)


def test_when_nothing_is_set_then_the_embedded_default_is_used() -> None:
    settings = Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("saring/saring.sqlite3")
    assert settings.telegram_api_url == DEFAULT_API_URL
    assert settings.retention_days == 180
    assert settings.telegram_token is None


def test_when_admin_ids_are_a_comma_list_then_they_become_numbers(monkeypatch) -> None:
    monkeypatch.setenv("SARING_ADMIN_IDS", "123, 456;789")
    assert Settings().admin_ids == frozenset({123, 456, 789})


def test_when_an_admin_id_is_a_username_then_it_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("SARING_ADMIN_IDS", "@kadis")
    with pytest.raises(ValidationError):
        Settings()


def test_when_the_token_is_set_then_it_never_shows_in_repr(monkeypatch) -> None:
    monkeypatch.setenv("SARING_TELEGRAM_TOKEN", "123456:ABC-secret")
    settings = Settings()
    assert "ABC-secret" not in repr(settings)
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123456:ABC-secret"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SARING_DATABASE_URL", "mysql://root@localhost/saring"),
        ("SARING_CONFIG_DIR", "/nonexistent"),
        ("SARING_RETENTION_DAYS", "0"),
    ],
)
def test_when_a_setting_is_invalid_then_startup_refuses(monkeypatch, name, value) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()
