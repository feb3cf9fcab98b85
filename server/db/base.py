"""Declarative base with one naming convention, so every constraint has a stable name.

Stable names matter because Alembic migrations refer to constraints by name, and SQLite's
batch migrations must rebuild tables with the same names PostgreSQL has.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every Sedā table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
