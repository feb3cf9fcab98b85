"""The Sedā protocol: sealed report envelopes, tracking tokens, body keys, signed directory.

Pure library: no I/O, no clock, no imports from ``server``, ``kiosk_client``, Litestar or
SQLAlchemy (enforced by import-linter, see ``pyproject.toml``). The protocol itself is
specified in ``docs/PROTOCOL.md``.
"""
