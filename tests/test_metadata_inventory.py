"""Every stored column is documented in SECURITY.md, and none holds forbidden data."""

from __future__ import annotations

import re
from pathlib import Path

import server.db.models  # noqa: F401  (registers every table)
from server.db.base import Base

ROOT = Path(__file__).resolve().parent.parent
# Column names that would mean the server stores what DESIGN.md §2 forbids.
FORBIDDEN = re.compile(
    r"(^|_)(ip|ips|address|user_agent|agent|token|plaintext|text|content|email|phone)($|_)"
)


def _columns() -> set[str]:
    return {
        f"{table.name}.{column.name}" for table in Base.metadata.tables.values() for column in table.columns
    }


def _documented() -> set[str]:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)` \|", text, flags=re.MULTILINE))


def test_every_column_is_in_the_security_metadata_inventory() -> None:
    missing = _columns() - _documented()
    assert not missing, f"document these columns in SECURITY.md §4: {sorted(missing)}"


def test_the_inventory_lists_no_column_that_does_not_exist() -> None:
    stale = _documented() - _columns()
    assert not stale, f"SECURITY.md §4 lists columns that no longer exist: {sorted(stale)}"


def test_no_column_is_named_for_data_the_server_must_never_hold() -> None:
    offending = {name for name in _columns() if FORBIDDEN.search(name.split(".", 1)[1])}
    assert not offending
