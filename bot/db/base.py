"""Declarative base whose metadata names every constraint and index by convention.

Named constraints are what let Alembic drop or alter them later on both SQLite (batch mode
recreates tables and needs the names) and PostgreSQL, so no name is ever written by hand.
See https://alembic.sqlalchemy.org/en/latest/naming.html
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Root of every ORM model; its metadata is the autogenerate target."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
