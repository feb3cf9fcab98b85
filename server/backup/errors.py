"""What can go wrong with a backup or a restore, by kind. Each message is fixed: it names what
to do, never a value from the file or the database (a row can hold ciphertext or a name)."""

from __future__ import annotations


class BackupError(Exception):
    """A backup could not be written, read or restored; nothing was changed."""

    message = "the backup could not be used"

    def __str__(self) -> str:
        return self.message


class BackupFormatError(BackupError):
    message = "this is not a Sedā backup, or it is damaged"


class UnsupportedFormatError(BackupError):
    message = "the backup was written in a format version this Sedā does not read"


class BackupTruncatedError(BackupError):
    message = "the backup ends early (truncated): use another copy"


class BackupDamagedError(BackupError):
    message = (
        "the backup's contents do not match its manifest (a row count or hash differs): use another copy"
    )


class UnknownRevisionError(BackupError):
    message = (
        "the backup's schema revision is not this Sedā's: restore it with the Sedā release that made it,"
        " then run `seda db upgrade`"
    )


class SourceNotCurrentError(BackupError):
    message = "the database is not at this Sedā's schema revision: run `seda db upgrade` first"


class TargetNotEmptyError(BackupError):
    message = "the target database is not empty: restore only into a new, empty database"


class RestoreMismatchError(BackupError):
    message = "the restored data did not verify (row counts or the audit chain head differ); nothing was kept"


class BackupExistsError(BackupError):
    message = "the output file exists: choose another name (a backup never overwrites a file)"


class AuditChainBrokenError(BackupError):
    """The backup's audit chain does not verify: the database it was made from was altered."""

    def __init__(self, first_bad_seq: int | None) -> None:
        super().__init__()
        self.first_bad_seq = first_bad_seq

    def __str__(self) -> str:
        return (
            f"the backup's audit chain is BROKEN at entry {self.first_bad_seq}: the database it was made"
            " from was altered. Restore it only to examine it, with --accept-broken-chain"
        )


class AnchorMismatchError(BackupError):
    message = (
        "the backup's audit chain does not hold the anchored entry (SEQ:HASH): it was cut or rewritten;"
        " use another copy"
    )


class PartialExistsError(BackupError):
    message = (
        "OUT.partial exists and is not a backup this command left behind: move it away, then run the"
        " backup again"
    )


class BackupInProgressError(BackupError):
    message = "another `seda backup create` is writing OUT.partial now: wait for it, or choose another name"
