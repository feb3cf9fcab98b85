"""Backups: a logical dump of every table, restorable into an empty database of either
backend (docs/OPERATIONS.md "Backups"; the format is in ``server/backup/stream.py``)."""
