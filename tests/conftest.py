"""Fixtures for every test directory: real databases (SQLite always, PostgreSQL when set).

The database fixtures live in tests/support/database.py; importing them here makes them
available to the integration and end-to-end tests alike.
"""

from __future__ import annotations

import os

from tests.support.database import (  # noqa: F401  (pytest fixtures)
    db_url,
    dialect,
    empty_db_url,
    engine,
    postgres_databases,
    postgres_migrated_url,
    sessions,
    sqlite_template,
)

# Opt in to python-telegram-bot's timedelta periods (RetryAfter.retry_after and friends), so
# reading them does not warn, which `filterwarnings = error` would turn into failures.
os.environ.setdefault("PTB_TIMEDELTA", "true")
