"""Article 114 routing: who may ever read a report.

Pure and deterministic: no I/O, no clock, no imports from ``server`` or ``kiosk_client``
(enforced by import-linter, see ``pyproject.toml``). The same code runs on the kiosk and on
the server.
"""
