"""Write routing's data tables for the browser (web/generated/routing-tables.json).

    .venv/bin/python web/tools/export_routing_tables.py OUT

scripts/bootstrap runs it before the esbuild step; web/protocol/routing.mjs imports the file.
The bytes come from ``routing.tables.tables_json()`` (routing itself does no I/O); the file is
replaced atomically, and left untouched when it already holds exactly those bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from routing.tables import tables_json

USAGE = "usage: export_routing_tables.py OUT\n"


def export(out: Path) -> bool:
    """Write the tables to ``out``; True if the file changed."""
    data = tables_json()
    if out.is_file() and out.read_bytes() == data:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    partial.replace(out)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write(USAGE)
        return 2
    out = Path(argv[1])
    changed = export(out)
    sys.stdout.write(f"{'wrote' if changed else 'unchanged'} {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
