"""Schema migrations, driven from Python (the ``seda db`` commands and the tests).

The configuration is built here rather than read from an ``alembic.ini`` so that the
database URL, which may carry a password, never has to be written to a file.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str, connection: Connection | None = None, scripts: Path = MIGRATIONS_DIR) -> Config:
    """An Alembic configuration for ``url`` (or an open sync ``connection``).

    ``scripts`` is the migration folder; tests point it at a copy with extra revisions.
    """
    config = Config()
    config.set_main_option("script_location", str(scripts))
    # ConfigParser treats '%' as interpolation; URLs may hold percent-escapes.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head", scripts: Path = MIGRATIONS_DIR) -> None:
    """Apply migrations up to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(url, scripts=scripts), revision)


def downgrade(url: str, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` empties the schema)."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest revision in the migration history."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at, from an open sync connection."""
    return MigrationContext.configure(connection).get_current_revision()


def make_revision(url: str, message: str) -> None:
    """Write a new migration by comparing the models with a database at head (developers)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
