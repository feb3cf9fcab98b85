"""Retention: closed cases purged after ``SEDA_RETENTION_DAYS`` (docs/OPERATIONS.md "Retention")."""
